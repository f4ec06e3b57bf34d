"""The main window and its parts: the window itself, the poem's meta bar, menus, status
bar, notices, autosave, saving, start-up recovery, the self-test and the end-to-end test
drive.

Features (compose, models, library, assignments, export) plug into the window through
the :class:`~app.ui.window.host.FeatureHost` protocol and never import anything else
from this package; only the launcher does.
"""
