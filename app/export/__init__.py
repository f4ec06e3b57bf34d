"""Export: PDF through Qt's own writer (QPdfWriter / QPainter / QTextDocument).

Poems (one, a selection, an anthology with contents) in horizontal or vertical
layout; the assignment sheet; per-student and class reports. One CJK face is
embedded; without one the export refuses (:class:`app.export.fonts.NoCjkFontError`).
"""
