"""The 平水韵 prosody engine: rhyme book, line templates, checker, scorer (no Qt)."""
