"""What a teacher sets: an assignment and the policy its submissions are graded by.

Pure values (frozen dataclasses), Qt-free, JSON-serialisable through
:mod:`app.assign.codec`. Nothing here reads files or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from app.assign.ci import CiAssignment
from app.prosody.books.kinds import BookKind
from app.prosody.books.tables import book_of_group, group_by_id
from app.prosody.ci.table import CiForm
from app.prosody.findings import Rule
from app.prosody.forms import Form
from app.prosody.groups import RhymeGroup
from app.prosody.scorer import COUNTED_RULES, ERROR_CAP, ERROR_POINTS, error_cost
from app.prosody.settings import CheckSettings
from app.storage.messages import Message

# The forms an assignment can set (排律 is out of a classroom's scope).
ASSIGNMENT_FORMS: tuple[Form, ...] = (Form.WUJUE, Form.QIJUE, Form.WULV, Form.QILV, Form.DUILIAN)
COUPLET_LENGTHS = range(4, 12)  # a 对联 assignment without a given 上联: 4–11 characters


class FirstLine(StrEnum):
    """首句入韵: must line 1 rhyme?"""

    OPTIONAL = "optional"  # either way
    REQUIRED = "required"  # 首句入韵
    FORBIDDEN = "forbidden"  # 首句不入韵

    def label(self, lang: str = "zh") -> str:
        zh = {"optional": "首句可入韵可不入韵", "required": "首句须入韵",
              "forbidden": "首句不入韵"}[self.value]  # fmt: skip
        en = {"optional": "line 1 may rhyme or not", "required": "line 1 must rhyme",
              "forbidden": "line 1 must not rhyme"}[self.value]  # fmt: skip
        return en if lang == "en" else zh


class Qi(StrEnum):
    """平起 / 仄起: the tone of line 1's second character."""

    PING = "平起"
    ZE = "仄起"

    @property
    def en(self) -> str:
        return "level start (平起)" if self is Qi.PING else "oblique start (仄起)"


@dataclass(frozen=True, slots=True)
class RhymeRequirement:
    """Which rhyme the poem must use: one group (of the assignment's rhyme book), or any
    平声 group."""

    group_id: int | None = None  # None: any 平声 group
    first_line: FirstLine = FirstLine.OPTIONAL

    @property
    def group(self) -> RhymeGroup | None:
        return None if self.group_id is None else group_by_id(self.group_id)

    def label(self, lang: str = "zh") -> str:
        g = self.group
        if lang == "en":
            which = f"rhyme group {g.name} ({g.name_en})" if g else "any level-tone rhyme group"
        else:
            which = f"押{g.name}韵" if g else "押任一平声韵"
        sep = ", " if lang == "en" else "，"
        return f"{which}{sep}{self.first_line.label(lang)}"


# Rules that count against the grade by default: every rule of the checker except
# advisory ones that are only hints (对仗 is scored separately, 冒韵 and 重字 are style)
# and requirements, which have their own deduction. The library's score counts the same.
DEFAULT_COUNTED_RULES: frozenset[Rule] = COUNTED_RULES

# Bands by grade, highest first: (lowest grade, Chinese, English).
BANDS: tuple[tuple[float, str, str], ...] = (
    (90.0, "优秀", "excellent"),
    (80.0, "良好", "good"),
    (70.0, "中等", "fair"),
    (60.0, "及格", "pass"),
    (0.0, "不及格", "fail"),
)


def band_of(grade: float, lang: str = "zh") -> str:
    for low, zh, en in BANDS:
        if grade >= low:
            return en if lang == "en" else zh
    return BANDS[-1][2] if lang == "en" else BANDS[-1][1]


@dataclass(frozen=True, slots=True)
class GradingPolicy:
    """Which faults count, how much, and how strict the checker is.

    The grade (see docs/assignments.md):

    * ``base`` = the four scores of :mod:`app.prosody.scorer` (平仄, 押韵, 对仗, 字数)
      weighted by ``weights`` over the scores the form asks for (a 绝句 requires no
      对仗, so that weight is left out, not paid as a free 100);
    * minus, per ERROR finding whose rule is in ``counted_rules``, ``error_points``
      — the cost in a 七律 — scaled to the form when ``scale_errors`` (×56 ÷ the
      form's characters: 五绝 ×2.8, 七绝 ×2, 五律 ×1.4), and ``warning_points`` per
      counted WARNING finding;
    * minus ``requirement_points`` per assignment requirement not met;
    * clamped to 0…100; a poem with a counted error gets at most ``error_cap``
      (``None``: no cap); rounded to one decimal.

    With no requirement unmet, the default policy gives a poem the library's score
    (``PoemScore.total``).
    """

    strict_135: bool = False
    warn_san_ze_wei: bool = False
    zheyao_as_note: bool = False
    accept_aojiu: bool = True
    mao_yun: bool = False
    dui_zhang: bool = True
    repeated_chars: bool = True
    weights: tuple[float, float, float, float] = (0.4, 0.3, 0.2, 0.1)
    error_points: float = ERROR_POINTS
    warning_points: float = 0.0
    requirement_points: float = 10.0
    counted_rules: frozenset[Rule] = DEFAULT_COUNTED_RULES
    scale_errors: bool = True
    error_cap: float | None = ERROR_CAP

    def error_cost(self, form: Form | int) -> float:
        """What one counted error costs in ``form`` (or a 体 of that many characters)."""
        return error_cost(_chars(form), self.error_points, scaled=self.scale_errors)

    def warning_cost(self, form: Form | int) -> float:
        return error_cost(_chars(form), self.warning_points, scaled=self.scale_errors)

    def check_settings(self, *, partial: bool = False) -> CheckSettings:
        return CheckSettings(
            warn_san_ze_wei=self.warn_san_ze_wei,
            zheyao_as_note=self.zheyao_as_note,
            mao_yun=self.mao_yun,
            strict_135=self.strict_135,
            accept_aojiu=self.accept_aojiu,
            dui_zhang=self.dui_zhang,
            repeated_chars=self.repeated_chars,
            partial=partial,
        )

    def describe(self, lang: str = "zh", form: Form | CiForm | None = None) -> list[str]:
        """The policy in sentences, for the assignment sheet and the wizard
        (with ``form`` — a form of 诗, or a 词's 体 —, the cost of an error in it is
        spelled out)."""
        w = self.weights
        total = sum(w) or 1.0
        pct = [round(100 * x / total) for x in w]
        if isinstance(form, CiForm):
            cost = f"{self.error_cost(form.chars):g}"
            name = f"《{form.tune}》"
        else:
            cost = f"{self.error_cost(form):g}" if form is not None else ""
            name = form.value if form is not None else ""
        if lang == "en":
            per_error = f"{self.error_points:g} per error"
            if self.scale_errors:
                per_error += " in a 七律, more in shorter forms (×56 ÷ the form's characters"
                per_error += f": {cost} in a {name})" if form is not None else ")"
            out = [
                f"Base: tones {pct[0]}%, rhymes {pct[1]}%, antithesis {pct[2]}%, "
                f"length {pct[3]}% of the scores the form asks for (a quatrain has no "
                "antithesis to score).",
                f"Deductions: {per_error}, {self.warning_points:g} per warning, "
                f"{self.requirement_points:g} per requirement not met.",
            ]
            if self.error_cap is not None:
                out.append(f"A poem with an error gets at most {self.error_cap:g}.")
            flags = [
                ("strict 1-3-5", self.strict_135),
                ("three oblique tones at the end warned", self.warn_san_ze_wei),
                ("broken adhesion accepted as 折腰体", self.zheyao_as_note),
                ("拗救 forms accepted", self.accept_aojiu),
            ]
            out.append("Checker: " + ", ".join(f"{n}: {'yes' if v else 'no'}" for n, v in flags))
            return out
        if self.scale_errors and form is not None and cost != f"{self.error_points:g}":
            per_error_zh = f"每处错误扣{cost}分（七律扣{self.error_points:g}分，按字数折算）"
        elif self.scale_errors and form is not None:
            per_error_zh = f"每处错误扣{cost}分（字数少的诗体按字数加倍折算）"
        elif self.scale_errors:
            per_error_zh = f"每处错误七律扣{self.error_points:g}分，字数少的诗体按字数加倍折算"
        else:
            per_error_zh = f"每处错误扣{self.error_points:g}分"
        out = [
            f"基础分：平仄{pct[0]}%、押韵{pct[1]}%、对仗{pct[2]}%、字数{pct[3]}%"
            "（只计诗体要求的项目，绝句不计对仗）。",
            f"扣分：{per_error_zh}，每处注意扣{self.warning_points:g}分，"
            f"每项未达要求扣{self.requirement_points:g}分。",
        ]
        if self.error_cap is not None:
            out.append(f"有错误的诗，成绩最高{self.error_cap:g}分。")
        flags_zh = [
            ("严格一三五", self.strict_135),
            ("三仄尾提醒", self.warn_san_ze_wei),
            ("失粘按折腰体", self.zheyao_as_note),
            ("承认拗救", self.accept_aojiu),
        ]
        out.append("检查设置：" + "，".join(f"{n}{'是' if v else '否'}" for n, v in flags_zh))
        return out


def _chars(form: Form | int) -> int:
    return form if isinstance(form, int) else (form.n_lines or 0) * form.line_len


@dataclass(frozen=True, slots=True)
class Assignment:
    """One assignment: what the student writes, and how it is graded. A 词 assignment
    names its 词牌 and 体 in ``ci`` (then ``form``, ``rhyme`` and ``qi`` do not apply)."""

    title: str
    form: Form
    instructions: str = ""
    rhyme: RhymeRequirement = field(default_factory=RhymeRequirement)
    qi: Qi | None = None  # None: either 平起 or 仄起
    theme: str = ""
    imagery: tuple[str, ...] = ()  # words that should appear (明月, 杨柳 …)
    imagery_min: int = 0  # how many of them must appear; 0 = all
    required_chars: str = ""  # every one must appear
    forbidden_chars: str = ""  # none may appear
    policy: GradingPolicy = field(default_factory=GradingPolicy)
    due: date | None = None
    tag: str = ""  # the library tag that marks submissions; "" = default_tag()
    ci: CiAssignment | None = None  # a 词: the 体 (and book, 部) it sets
    book: BookKind = BookKind.PINGSHUI  # the rhyme book the teacher chose
    couplet_first: str = ""  # 对联: the 上联 (出句) the student answers; "" = write both
    couplet_length: int = 7  # 对联 without a given 上联: characters a side

    @property
    def library_tag(self) -> str:
        return self.tag or default_tag(self.title)

    @property
    def form_name(self) -> str:
        """五绝 … 七律, or 词 (stored with the assignment, shown in lists)."""
        return "词" if self.ci is not None else self.form.value

    @property
    def form_label(self) -> str:
        """七律, or 词·菩薩蠻·正体（44字）."""
        return f"词·{self.ci.name()}" if self.ci is not None else self.form.value

    def error_cost(self) -> float:
        """What one counted error costs in this assignment's form (or 体)."""
        return self.policy.error_cost(self.ci.form.chars if self.ci is not None else self.form)

    @property
    def imagery_needed(self) -> int:
        n = len(self.imagery)
        return n if self.imagery_min <= 0 else min(self.imagery_min, n)

    def problems(self) -> list[Message]:
        """Why this assignment cannot be saved (empty when it can)."""
        out: list[Message] = []
        if not self.title.strip():
            out.append(Message("请填写作业标题。", "The assignment needs a title."))
        if self.ci is not None:
            out.extend(self.ci.problems())
            if self.rhyme.group is not None or self.qi is not None:
                out.append(
                    Message(
                        "词的押韵按词牌的韵组指定，不设近体诗的韵部或平起仄起。",
                        "A ci rhymes by its tune's rhyme groups: set no rhyme group or start "
                        "of regulated verse.",
                    )
                )
        elif self.form not in ASSIGNMENT_FORMS:
            out.append(
                Message(
                    f"作业只能设为五绝、七绝、五律或七律，不能是{self.form.value}。",
                    "An assignment's form must be 五绝, 七绝, 五律 or 七律, "
                    f"not {self.form.value}.",
                )
            )
        if self.form is Form.DUILIAN:
            out.extend(self._couplet_problems())
        g = self.rhyme.group
        if g is not None and book_of_group(g) is not self.book:
            out.append(
                Message(
                    f"韵部{g.name}不属于{self.book.zh}。",
                    f"The rhyme group {g.name} is not in {self.book.en}.",
                )
            )
        if g is not None and not g.is_ping:
            out.append(
                Message(
                    f"近体诗押平声韵：{g.name}是仄声韵部。",
                    f"Regulated verse rhymes in a level tone: {g.name} is an oblique group.",
                )
            )
        both = sorted(set(self.required_chars) & set(self.forbidden_chars))
        if both:
            out.append(
                Message(
                    f"「{''.join(both)}」既是必用字又是禁用字。",
                    f"「{''.join(both)}」 is both required and forbidden.",
                )
            )
        if self.imagery_min > len(self.imagery):
            out.append(
                Message(
                    f"要求至少用{self.imagery_min}个意象，但只列出了{len(self.imagery)}个。",
                    f"At least {self.imagery_min} images are required but only "
                    f"{len(self.imagery)} are listed.",
                )
            )
        if any(not w.strip() for w in self.imagery):
            out.append(Message("意象词不能为空。", "An image word cannot be empty."))
        return out

    def _couplet_problems(self) -> list[Message]:
        out: list[Message] = []
        if self.rhyme.group is not None:
            out.append(
                Message("对联不押韵，不必指定韵部。", "A couplet does not rhyme: set no group.")
            )
        first = "".join(ch for ch in self.couplet_first if "\u3400" <= ch <= "\u9fff")
        if self.couplet_first.strip() and len(first) < 2:
            out.append(Message("出句（上联）至少要有两个汉字。",
                               "The given first line needs at least two characters."))  # fmt: skip
        if not first and self.couplet_length not in COUPLET_LENGTHS:
            out.append(Message(f"对联每边{self.couplet_length}字？应为4到11字。",
                               f"A couplet of {self.couplet_length} characters a side? "
                               "4 to 11."))  # fmt: skip
        return out


def default_tag(title: str) -> str:
    """The library tag of an assignment's submissions: 作业·<title>."""
    return f"作业·{title.strip()}" if title.strip() else "作业"
