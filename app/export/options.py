"""What to export and how: a poem to print, and the options of a poem PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from app.export.canvas import PageSetup
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import find_group
from app.prosody.forms import Form
from app.prosody.groups import RhymeGroup

if TYPE_CHECKING:
    from app.storage.records import PoemRecord

LayoutName = Literal["horizontal", "vertical"]


@dataclass(frozen=True, slots=True)
class PoemDoc:
    """One poem to print. ``form``/``group`` pin the analysis behind marks and the group line;
    ``book`` is the rhyme book it is checked against (its marks and group are that book's)."""

    title: str
    text: str
    author: str = ""
    date: str = ""  # printed as given (2024-05-01, 甲辰春 …)
    form: Form | None = None
    group: RhymeGroup | None = None
    book: BookKind = BookKind.PINGSHUI

    @classmethod
    def from_record(cls, rec: PoemRecord, *, date: str | None = None) -> PoemDoc:
        form = Form.from_name(rec.form) if rec.form else None
        book = BookKind.from_name(rec.rhyme_book) or BookKind.PINGSHUI
        group = find_group(rec.rhyme_group, book) if rec.rhyme_group else None
        when = date if date is not None else rec.created_at.date().isoformat()
        return cls(rec.title, rec.text, rec.author, when, form, group, book)


@dataclass(frozen=True, slots=True)
class PdfOptions:
    layout: LayoutName = "horizontal"
    page: PageSetup = field(default_factory=PageSetup)
    font_pt: float = 16.0  # the poem's characters
    marks: bool = False  # 平仄 marks beside each character
    show_group: bool = True  # the rhyme group under the title
    show_author: bool = True
    show_date: bool = True
    contents: bool | None = None  # None: a contents page when there is more than one poem
    title: str = ""  # the document's title (an anthology's name; the contents page heading)
    font_family: str = ""  # the preferred face ("" = the best installed 楷/宋)
    one_per_page: bool = False
    lang: str = "zh"  # labels (目录 / Contents, the legend)

    def wants_contents(self, n_poems: int) -> bool:
        return self.contents if self.contents is not None else n_poems > 1
