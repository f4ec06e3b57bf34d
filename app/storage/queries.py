"""The SQL behind library views: search words, filters and order.

With *script forms* (a character → all its forms in either script: 长 → 长長), a
search word matches every spelling of it: a word with such characters becomes one
``GLOB`` pattern with a character class for each (長江 → ``*[長长]江*``; Latin
letters as ``[aA]`` to stay case-insensitive), so the scan costs what a plain
``LIKE`` does and no Python runs per row.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, func, or_, select

from app.storage.records import PoemQuery
from app.storage.schema import Poem, Tag, poem_tags
from app.storage.text import clean_text


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's own wildcards escaped (escape character ``\\``)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tagged(name_matches: ColumnElement[bool]) -> ColumnElement[bool]:
    """Poems carrying a tag whose name matches (one uncorrelated subquery, run once)."""
    carriers = select(poem_tags.c.poem_id).join(Tag, Tag.id == poem_tags.c.tag_id)
    return Poem.id.in_(carriers.where(name_matches))


Forms = Callable[[str], str]
_GLOB_SPECIAL = frozenset("*?[")


def glob_pattern(word: str, forms: Forms) -> str | None:
    """``*…*`` matching ``word`` in any mix of its characters' forms; None when no
    character of it has another form (then a plain ``LIKE`` does)."""
    parts: list[str] = []
    varied = False
    for ch in word:
        spelled = "".join(dict.fromkeys(forms(ch)))
        if len(spelled) > 1:
            varied = True
            parts.append("[" + spelled + "]")
        elif ch.isascii() and ch.isalpha():
            parts.append(f"[{ch.lower()}{ch.upper()}]")
        elif ch in _GLOB_SPECIAL:
            parts.append(f"[{ch}]")
        else:
            parts.append(ch)
    return f"*{''.join(parts)}*" if varied else None


def _word_matches(word: str, forms: Forms | None = None) -> ColumnElement[bool]:
    pattern = glob_pattern(word, forms) if forms is not None else None
    if pattern is not None:
        return or_(
            Poem.title.op("GLOB")(pattern),
            Poem.text.op("GLOB")(pattern),
            Poem.author.op("GLOB")(pattern),
            _tagged(Tag.name.op("GLOB")(pattern)),
        )
    like = like_pattern(word)
    return or_(
        Poem.title.like(like, escape="\\"),
        Poem.text.like(like, escape="\\"),
        Poem.author.like(like, escape="\\"),
        _tagged(Tag.name.like(like, escape="\\")),
    )


def conditions(query: PoemQuery, forms: Forms | None = None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.state == "active":
        found.append(Poem.deleted_at.is_(None))
    elif query.state == "trash":
        found.append(Poem.deleted_at.is_not(None))
    found.extend(_word_matches(word, forms) for word in clean_text(query.text).split())
    if query.form is not None:
        found.append(Poem.form == query.form)
    if query.rhyme_group is not None:
        found.append(Poem.rhyme_group == clean_text(query.rhyme_group))
    if query.tune is not None:
        found.append(Poem.tune == clean_text(query.tune))
    if query.origin is not None:
        found.append(Poem.origin == query.origin)
    if query.tag is not None:
        found.append(_tagged(Tag.name == clean_text(query.tag).strip()))
    return found


def search_statement(query: PoemQuery, forms: Forms | None = None) -> Select[Poem]:
    if query.limit is not None and query.limit < 0:
        raise ValueError("limit cannot be negative")
    if query.offset < 0:
        raise ValueError("offset cannot be negative")
    statement = select(Poem).where(*conditions(query, forms))
    key = {
        "updated": Poem.updated_at,
        "created": Poem.created_at,
        "title": Poem.title,
        "score": Poem.score_total,
    }[query.sort]
    if query.sort == "score":  # poems without a score come last either way
        statement = statement.order_by(Poem.score_total.is_(None))
    if query.descending:
        statement = statement.order_by(key.desc(), Poem.id.desc())
    else:
        statement = statement.order_by(key.asc(), Poem.id.asc())
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def count_statement(query: PoemQuery, forms: Forms | None = None) -> Select[int]:
    return select(func.count()).select_from(Poem).where(*conditions(query, forms))
