"""Poems on paper: the PDF export feature and its dialog."""
