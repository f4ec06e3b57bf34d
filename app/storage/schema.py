"""The ORM models of the poem library (SQLAlchemy 2.x declarative, typed).

The tables themselves are created by :mod:`app.storage.migrations`, never by
``metadata.create_all``: a new database runs the same ordered migrations an old
one is upgraded with. These models must describe exactly what the migrations
build; ``tests/core/test_storage_migrations.py`` compares the two.

Timestamps are UTC and timezone-aware in Python, stored as fixed-width text
(``2024-05-01T12:00:00.000000Z``) so that text order is time order in SQL too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_timestamp(moment: datetime) -> str:
    """The stored form of an aware datetime; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime(_TS_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """The inverse of :func:`format_timestamp` (``fromisoformat``: strptime is ~20x slower)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware ``datetime`` stored as sortable UTC text."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else format_timestamp(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else parse_timestamp(str(value))


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy's own hook)


poem_tags = Table(
    "poem_tags",
    Base.metadata,
    Column("poem_id", Integer, ForeignKey("poems.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_poem_tags_tag_id", "tag_id"),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class Poem(Base):
    __tablename__ = "poems"
    __table_args__ = (
        Index("ix_poems_updated_at", "updated_at"),
        Index("ix_poems_created_at", "created_at"),
        Index("ix_poems_trash", "deleted_at", sqlite_where=text("deleted_at IS NOT NULL")),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[str | None] = mapped_column(Text)
    rhyme_group: Mapped[str | None] = mapped_column(Text)
    rhyme_book: Mapped[str | None] = mapped_column(Text)  # pingshui/xinyun/tongyun; NULL: 平水
    tune: Mapped[str | None] = mapped_column(Text)  # 词: the 词牌
    ci_form: Mapped[str | None] = mapped_column(Text)  # 词: the 体 (菩薩蠻#0)
    text: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(Text, default="written")
    model_id: Mapped[str | None] = mapped_column(Text)
    sampling: Mapped[str | None] = mapped_column(Text)  # JSON object
    reasoning: Mapped[str | None] = mapped_column(Text)
    score_tones: Mapped[float | None] = mapped_column(Float)
    score_rhymes: Mapped[float | None] = mapped_column(Float)
    score_antithesis: Mapped[float | None] = mapped_column(Float)
    score_length: Mapped[float | None] = mapped_column(Float)
    score_total: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    tags: Mapped[list[Tag]] = relationship(secondary=poem_tags, lazy="selectin", order_by=Tag.name)


class Revision(Base):
    """A snapshot of a poem's editable fields, taken by every save that changed something."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_poem_id", "poem_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poem_id: Mapped[int] = mapped_column(ForeignKey("poems.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)  # create | save | restore | migrate
    restored_from: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[str | None] = mapped_column(Text)
    rhyme_group: Mapped[str | None] = mapped_column(Text)
    rhyme_book: Mapped[str | None] = mapped_column(Text)  # pingshui/xinyun/tongyun; NULL: 平水
    tune: Mapped[str | None] = mapped_column(Text)  # 词: the 词牌
    ci_form: Mapped[str | None] = mapped_column(Text)  # 词: the 体 (菩薩蠻#0)
    text: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    score_tones: Mapped[float | None] = mapped_column(Float)
    score_rhymes: Mapped[float | None] = mapped_column(Float)
    score_antithesis: Mapped[float | None] = mapped_column(Float)
    score_length: Mapped[float | None] = mapped_column(Float)
    score_total: Mapped[float | None] = mapped_column(Float)


class Draft(Base):
    """Unsaved editor content, one row per editor slot, rewritten on every autosave tick."""

    __tablename__ = "drafts"

    slot: Mapped[str] = mapped_column(Text, primary_key=True)
    poem_id: Mapped[int | None] = mapped_column(ForeignKey("poems.id", ondelete="CASCADE"))
    payload: Mapped[str] = mapped_column(Text)  # JSON of a PoemData
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Meta(Base):
    """Key/value facts about the file itself (which app version wrote it)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AssignmentRow(Base):
    """A teacher's assignment; ``spec`` is its JSON (app.assign.codec), ``tag`` marks the
    library poems handed in for it."""

    __tablename__ = "assignments"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[str] = mapped_column(Text)
    tag: Mapped[str] = mapped_column(Text, unique=True)
    spec: Mapped[str] = mapped_column(Text)  # JSON object
    due: Mapped[str | None] = mapped_column(Text)  # ISO date
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SubmissionRow(Base):
    """One graded submission of an assignment (a file, or a library poem via ``poem_id``)."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_assignment_id", "assignment_id", "id"),
        Index("ix_submissions_poem_id", "poem_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    poem_id: Mapped[int | None] = mapped_column(ForeignKey("poems.id", ondelete="SET NULL"))
    student: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # graded | empty | unreadable | wrong_form
    grade: Mapped[float | None] = mapped_column(Float)
    score_total: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str] = mapped_column(Text, default="{}")  # JSON summary of the report
    graded_at: Mapped[datetime]
