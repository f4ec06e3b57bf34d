"""Teachers' assignments: the model, requirement checks, grading, class summaries, CSV.

Qt-free. The UI (app/ui/assignments) and the PDF export (app/export) build on it;
the library keeps assignments through app/storage/assignments.py.
"""
