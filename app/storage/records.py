"""Plain frozen values that cross the library's boundary.

Callers hand in :class:`PoemData` / :class:`DraftData` and get back
:class:`PoemRecord`, :class:`RevisionRecord`, :class:`DraftRecord` — never ORM
objects, so the values are safe to pass to other threads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from app.storage.errors import InvalidPoemError
from app.storage.messages import Message
from app.storage.text import clean_optional, clean_text

FORMS: tuple[str, ...] = ("五绝", "七绝", "五律", "七律", "排律", "词", "对联", "other")
# the rhyme books a poem may be checked against (app.prosody.books.BookKind values)
RHYME_BOOKS: tuple[str, ...] = ("pingshui", "xinyun", "tongyun")
ORIGINS: tuple[str, ...] = ("written", "generated")

SortKey = Literal["updated", "created", "title", "score"]
PoemState = Literal["active", "trash", "all"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scores:
    """The scorer's figures for a poem; the library stores what it is given."""

    tones: float | None = None
    rhymes: float | None = None
    antithesis: float | None = None
    length: float | None = None
    total: float | None = None

    def as_tuple(self) -> tuple[float | None, ...]:
        return (self.tones, self.rhymes, self.antithesis, self.length, self.total)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoemData:
    """What the editor (or the generator) hands in to be saved."""

    title: str = ""
    text: str = ""
    author: str = ""
    notes: str = ""
    form: str | None = None  # one of FORMS
    rhyme_group: str | None = None  # canonical name such as 上平一东
    rhyme_book: str | None = None  # one of RHYME_BOOKS; None: the default (pingshui)
    tune: str | None = None  # 词: the 词牌, as the 词谱 names it (菩薩蠻)
    ci_form: str | None = None  # 词: the 体, as its key (菩薩蠻#0 is the 正体)
    tags: tuple[str, ...] = ()
    origin: str = "written"  # "written" | "generated"
    model_id: str | None = None
    sampling: Mapping[str, Any] | None = None  # JSON-serialisable sampling settings
    reasoning: str | None = None
    scores: Scores = field(default_factory=Scores)

    def cleaned(self, *, strict: bool = True) -> PoemData:
        """A copy made storable: see :mod:`app.storage.text`; tags stripped, unique, sorted.

        With ``strict`` (saving a poem), raises :class:`InvalidPoemError` for an
        unknown form or origin, scores that are not finite, or sampling settings
        that are not a JSON object. Without it (saving a draft, which must never
        fail on content), such values are dropped instead.
        """
        if not strict:
            return self._lenient().cleaned()
        if self.form is not None and self.form not in FORMS:
            raise InvalidPoemError(
                Message(f"未知的诗体：{self.form}", f"Unknown form: {self.form}"),
                detail=f"form must be one of {FORMS} or None",
            )
        if self.origin not in ORIGINS:
            raise InvalidPoemError(
                Message(f"未知的来源：{self.origin}", f"Unknown origin: {self.origin}"),
                detail=f"origin must be one of {ORIGINS}",
            )
        if self.rhyme_book is not None and self.rhyme_book not in RHYME_BOOKS:
            raise InvalidPoemError(
                Message(f"未知的韵书：{self.rhyme_book}", f"Unknown rhyme book: {self.rhyme_book}"),
                detail=f"rhyme_book must be one of {RHYME_BOOKS} or None",
            )
        for value in self.scores.as_tuple():
            if value is not None and not math.isfinite(value):
                raise InvalidPoemError(
                    Message("评分必须是有限的数。", "Scores must be finite numbers."),
                    detail=f"scores: {self.scores}",
                )
        sampling = None
        if self.sampling is not None:
            sampling = json.loads(clean_text(sampling_json(self.sampling)))
        tags = tuple(sorted({clean_text(t).strip() for t in self.tags} - {""}))
        return PoemData(
            title=clean_text(self.title),
            text=clean_text(self.text),
            author=clean_text(self.author),
            notes=clean_text(self.notes),
            form=self.form,
            rhyme_group=clean_optional(self.rhyme_group),
            rhyme_book=self.rhyme_book,
            tune=clean_optional(self.tune),
            ci_form=clean_optional(self.ci_form),
            tags=tags,
            origin=self.origin,
            model_id=clean_optional(self.model_id),
            sampling=sampling,
            reasoning=clean_optional(self.reasoning),
            scores=self.scores,
        )

    def _lenient(self) -> PoemData:
        sampling = self.sampling
        if sampling is not None:
            try:
                sampling_json(sampling)
            except InvalidPoemError:
                sampling = None
        finite = all(v is None or math.isfinite(v) for v in self.scores.as_tuple())
        return replace(
            self,
            form=self.form if self.form in FORMS else None,
            rhyme_book=_book(self.rhyme_book),
            origin=self.origin if self.origin in ORIGINS else "written",
            sampling=sampling,
            scores=self.scores if finite else Scores(),
        )


def sampling_json(sampling: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(sampling), ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidPoemError(
            Message("采样设置无法保存为 JSON。", "The sampling settings cannot be stored as JSON."),
            detail=str(exc),
        ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class PoemRecord:
    """A stored poem."""

    id: int
    title: str
    text: str
    author: str
    notes: str
    form: str | None
    rhyme_group: str | None
    rhyme_book: str | None
    tune: str | None
    ci_form: str | None
    tags: tuple[str, ...]
    origin: str
    model_id: str | None
    sampling_json: str | None
    reasoning: str | None
    scores: Scores
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @property
    def sampling(self) -> dict[str, Any] | None:
        """A fresh copy of the sampling settings (``None`` for written poems)."""
        if self.sampling_json is None:
            return None
        value = json.loads(self.sampling_json)
        return value if isinstance(value, dict) else None

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    def to_data(self) -> PoemData:
        """The poem as :class:`PoemData`, to edit and save again."""
        return PoemData(
            title=self.title,
            text=self.text,
            author=self.author,
            notes=self.notes,
            form=self.form,
            rhyme_group=self.rhyme_group,
            rhyme_book=self.rhyme_book,
            tune=self.tune,
            ci_form=self.ci_form,
            tags=self.tags,
            origin=self.origin,
            model_id=self.model_id,
            sampling=self.sampling,
            reasoning=self.reasoning,
            scores=self.scores,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionRecord:
    """A snapshot of a poem's editable fields as one save left them."""

    id: int
    poem_id: int
    created_at: datetime
    reason: str  # create | save | restore | migrate
    restored_from: int | None
    title: str
    text: str
    author: str
    notes: str
    form: str | None
    rhyme_group: str | None
    rhyme_book: str | None
    tune: str | None
    ci_form: str | None
    tags: tuple[str, ...]
    scores: Scores


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftData:
    """Unsaved editor content for one editor slot (see :func:`poem_slot`)."""

    slot: str
    poem: PoemData
    poem_id: int | None = None  # the poem being edited; None for a new poem


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftRecord:
    slot: str
    poem: PoemData
    poem_id: int | None
    created_at: datetime
    updated_at: datetime
    spooled: bool = False  # held in a spool file because the database could not take it


@dataclass(frozen=True, slots=True, kw_only=True)
class PoemQuery:
    """A library view: text search, filters, order, page.

    ``text`` is split on whitespace; every word must occur in the title, text,
    author or a tag name (case-insensitive for Latin letters).
    """

    text: str = ""
    form: str | None = None
    rhyme_group: str | None = None
    tune: str | None = None  # 词: poems of this 词牌
    tag: str | None = None
    origin: str | None = None
    state: PoemState = "active"
    sort: SortKey = "updated"
    descending: bool = True
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TagCount:
    name: str
    poems: int  # poems outside the trash carrying the tag


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryStats:
    poems: int  # outside the trash
    in_trash: int
    revisions: int
    drafts: int
    tags: int
    by_form: tuple[tuple[str, int], ...]  # ("—" for no form), outside the trash
    by_origin: tuple[tuple[str, int], ...]
    schema_version: int
    database_bytes: int  # the file and its write-ahead log


def poem_slot(poem_id: int) -> str:
    """The draft slot of the editor showing poem ``poem_id``."""
    return f"poem:{poem_id}"


def new_poem_slot(key: str = "1") -> str:
    """The draft slot of a new-poem editor; ``key`` tells several such editors apart."""
    return f"new:{key}"


def poem_data_to_json(data: PoemData) -> str:
    return json.dumps(
        {
            "title": data.title,
            "text": data.text,
            "author": data.author,
            "notes": data.notes,
            "form": data.form,
            "rhyme_group": data.rhyme_group,
            "rhyme_book": data.rhyme_book,
            "tune": data.tune,
            "ci_form": data.ci_form,
            "tags": list(data.tags),
            "origin": data.origin,
            "model_id": data.model_id,
            "sampling": None if data.sampling is None else dict(data.sampling),
            "reasoning": data.reasoning,
            "scores": {
                "tones": data.scores.tones,
                "rhymes": data.scores.rhymes,
                "antithesis": data.scores.antithesis,
                "length": data.scores.length,
                "total": data.scores.total,
            },
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _book(value: object) -> str | None:
    """A known rhyme book's key, else None (the default book)."""
    return value if isinstance(value, str) and value in RHYME_BOOKS else None


def _opt_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def poem_data_from_json(text: str) -> PoemData:
    """The inverse of :func:`poem_data_to_json`, tolerant of missing or odd fields."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("a draft payload must be a JSON object")
    scores = raw.get("scores")
    scores = scores if isinstance(scores, dict) else {}
    tags = raw.get("tags")
    sampling = raw.get("sampling")
    return PoemData(
        title=str(raw.get("title") or ""),
        text=str(raw.get("text") or ""),
        author=str(raw.get("author") or ""),
        notes=str(raw.get("notes") or ""),
        form=_opt_str(raw.get("form")),
        rhyme_group=_opt_str(raw.get("rhyme_group")),
        rhyme_book=_book(raw.get("rhyme_book")),
        tune=_opt_str(raw.get("tune")),
        ci_form=_opt_str(raw.get("ci_form")),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        origin=str(raw.get("origin") or "written"),
        model_id=_opt_str(raw.get("model_id")),
        sampling=sampling if isinstance(sampling, dict) else None,
        reasoning=_opt_str(raw.get("reasoning")),
        scores=Scores(**{k: _opt_float(scores.get(k)) for k in _SCORE_KEYS}),
    )


_SCORE_KEYS = ("tones", "rhymes", "antithesis", "length", "total")
