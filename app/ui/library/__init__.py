"""The library as the poet sees it: the side panel, its table model, the asynchronous
library client (one worker thread owns the database), library operations, revisions.
"""
