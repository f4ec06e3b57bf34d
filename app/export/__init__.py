"""Export: PDF through Qt's own writer (QPdfWriter / QPainter / QTextDocument).

Poems (one, a selection, an anthology with contents) in horizontal or vertical
layout; the assignment sheet; per-student and class reports. One CJK face is
embedded; without one the export refuses (:class:`app.export.fonts.NoCjkFontError`).
"""

# PySide6 6.12 drops a reference to None on every call of a method returning void (and
# to True on every emit); a PDF of a few hundred items would abort CPython 3.11. The
# workaround pins those singletons once per process (see app/ui/qt_refcount.py).
from app.ui import qt_refcount as _qt_refcount

del _qt_refcount
