"""The two findings only a choice of rhyme books makes: a reading settled by the words
around it (还乡: 还 huán), and a poem that keeps another book's rules (按中华通韵合律)."""

from __future__ import annotations

from collections.abc import Sequence

from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Settled
from app.prosody.findings import Finding, Rule, Severity
from app.prosody.text import TextLine


def settled_finding(line: int, tl: TextLine, s: Settled) -> Finding:
    """A hint on the settled character, saying which phrase settles it and how."""
    tone = "平" if s.reading.tone.is_ping else "仄"
    return Finding(
        Rule.CONTEXT_READING,
        Severity.HINT,
        line,
        s.pos,
        tl.chars[s.pos],
        tl.offsets[s.pos],
        "",
        tone,
        detail=(("phrase", s.phrase), ("pinyin", s.syllable)),
        marks=((line, s.pos),),
    )


def other_book_finding(chosen: BookKind, errors: int, keeps: Sequence[BookKind]) -> Finding:
    """One note for the whole poem: it breaks ``chosen`` but keeps every book of ``keeps``."""
    return Finding(
        Rule.OTHER_BOOK,
        Severity.NOTE,
        0,
        None,
        "",
        None,
        chosen.zh,
        "、".join(k.zh for k in keeps),
        detail=(
            ("book", chosen.zh),
            ("book_en", chosen.en),
            ("books", "、".join(k.zh for k in keeps)),
            ("books_en", " and ".join(k.en for k in keeps)),
            ("kinds", ",".join(k.value for k in keeps)),
            ("errors", str(errors)),
        ),
    )
