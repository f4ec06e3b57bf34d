"""The SQL behind library views: search words, filters and order."""

from __future__ import annotations

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


def _word_matches(word: str) -> ColumnElement[bool]:
    pattern = like_pattern(word)
    return or_(
        Poem.title.like(pattern, escape="\\"),
        Poem.text.like(pattern, escape="\\"),
        Poem.author.like(pattern, escape="\\"),
        _tagged(Tag.name.like(pattern, escape="\\")),
    )


def conditions(query: PoemQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.state == "active":
        found.append(Poem.deleted_at.is_(None))
    elif query.state == "trash":
        found.append(Poem.deleted_at.is_not(None))
    found.extend(_word_matches(word) for word in clean_text(query.text).split())
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


def search_statement(query: PoemQuery) -> Select[Poem]:
    if query.limit is not None and query.limit < 0:
        raise ValueError("limit cannot be negative")
    if query.offset < 0:
        raise ValueError("offset cannot be negative")
    statement = select(Poem).where(*conditions(query))
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


def count_statement(query: PoemQuery) -> Select[int]:
    return select(func.count()).select_from(Poem).where(*conditions(query))
