"""Forms (五绝 … 七律, 排律) and the four line types with their templates (meter-spec §2–3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from app.prosody.tones import Level

# Tone codes used throughout the checker: what a character can be read as.
EITHER = 0  # a polyphone: satisfies 平 and 仄
PING = 1
ZE = 2
UNKNOWN = 3  # no reading at all

LEVEL_OF_CODE = {PING: Level.PING, ZE: Level.ZE}


class LineType(StrEnum):
    """The four 五言 line types; 七言 puts two characters of the opposite tone in front."""

    a = "a"  # 仄仄平平仄
    B = "B"  # 平平仄仄平
    b = "b"  # 平平平仄仄
    A = "A"  # 仄仄仄平平

    @property
    def rhymes(self) -> bool:
        return self in _RHYMING

    @property
    def standard5(self) -> tuple[int, ...]:
        return _STANDARD5[self]

    def standard(self, length: int) -> tuple[int, ...]:
        """The standard tone sequence (PING/ZE codes) for a 5- or 7-character line."""
        return _STANDARD[self, length]

    def template(self, length: int) -> tuple[Level, ...]:
        """Per position: 平, 仄 or ⊙ (either), meter-spec §2 (the 一三五不论 template)."""
        return _TEMPLATE[self, length]

    def template_text(self, length: int) -> str:
        return "".join(level.value for level in self.template(length))

    @property
    def partner(self) -> LineType:
        """对: the type of the other line in a couplet (a↔B, b↔A)."""
        return _PARTNER[self]

    @property
    def other_start(self) -> LineType:
        """The type with the same ending and the other 2nd character (a↔b, A↔B)."""
        return _OTHER_START[self]

    @property
    def rhyming_variant(self) -> LineType:
        """首句入韵: a→A, b→B (same 2nd character, 平 ending)."""
        return _RHYMING_VARIANT.get(self, self)


_RHYMING_VARIANT = {LineType.a: LineType.A, LineType.b: LineType.B}
_OTHER_START = {LineType.a: LineType.b, LineType.b: LineType.a, LineType.A: LineType.B,
                LineType.B: LineType.A}  # fmt: skip
_P, _Z = PING, ZE
_STANDARD5: dict[LineType, tuple[int, ...]] = {
    LineType.a: (_Z, _Z, _P, _P, _Z),
    LineType.B: (_P, _P, _Z, _Z, _P),
    LineType.b: (_P, _P, _P, _Z, _Z),
    LineType.A: (_Z, _Z, _Z, _P, _P),
}
_F, _LP, _LZ = Level.FREE, Level.PING, Level.ZE
_TEMPLATE5: dict[LineType, tuple[Level, ...]] = {
    LineType.a: (_F, _LZ, _F, _LP, _LZ),
    LineType.B: (_F, _LP, _F, _LZ, _LP),
    LineType.b: (_F, _LP, _F, _LZ, _LZ),
    LineType.A: (_F, _LZ, _LZ, _LP, _LP),
}
_RHYMING = frozenset({LineType.A, LineType.B})
_PARTNER = {LineType.a: LineType.B, LineType.B: LineType.a, LineType.b: LineType.A}
_PARTNER[LineType.A] = LineType.b


def _seven(five: tuple[int, ...]) -> tuple[int, ...]:
    opposite = ZE if five[0] == PING else PING
    return (opposite, opposite, *five)


def _seven_template(five: tuple[Level, ...]) -> tuple[Level, ...]:
    opposite = Level.ZE if five[1] is Level.PING else Level.PING
    return (Level.FREE, opposite, *five)


# Precomputed once: the checker asks for these in its inner loops.
_STANDARD: dict[tuple[LineType, int], tuple[int, ...]] = {}
_TEMPLATE: dict[tuple[LineType, int], tuple[Level, ...]] = {}
for _t in LineType:
    _STANDARD[_t, 5] = _STANDARD5[_t]
    _STANDARD[_t, 7] = _seven(_STANDARD5[_t])
    _TEMPLATE[_t, 5] = _TEMPLATE5[_t]
    _TEMPLATE[_t, 7] = _seven_template(_TEMPLATE5[_t])


class Form(StrEnum):
    """The forms the checker knows. 排律 is 律诗 continued past eight lines."""

    WUJUE = "五绝"
    QIJUE = "七绝"
    WULV = "五律"
    QILV = "七律"
    WUPAI = "五言排律"
    QIPAI = "七言排律"
    DUILIAN = "对联"  # a couplet: two lines of equal length, any length (app.prosody.couplet)

    @property
    def line_len(self) -> int:
        return _LINE_LEN[self]

    @property
    def n_lines(self) -> int | None:
        """Expected number of lines; None for 排律 (any even number ≥ 10)."""
        return _N_LINES[self]

    @property
    def is_lv(self) -> bool:
        """律诗 (and 排律): the middle couplets must be parallel."""
        return _N_LINES[self] not in (4, 2)

    @property
    def is_couplet(self) -> bool:
        """对联: checked by app.prosody.couplet, not as regulated verse."""
        return self is Form.DUILIAN

    @property
    def en(self) -> str:
        return _EN[self]

    @classmethod
    def from_name(cls, name: str) -> Form | None:
        """The form a name means: 七律, 七言律诗, 七言律詩, qilv, … (None if no form)."""
        name = name.strip()
        return _BY_NAME.get(name) or _BY_NAME.get(name.lower())

    @classmethod
    def for_shape(cls, line_len: int, n_lines: int) -> Form:
        """The form a poem of this shape is (or is becoming, while typed)."""
        five = line_len <= 6
        if n_lines <= 4:
            return cls.WUJUE if five else cls.QIJUE
        if n_lines <= 8:
            return cls.WULV if five else cls.QILV
        return cls.WUPAI if five else cls.QIPAI


# Per form, looked up by the properties above (these are called per line and per poem).
# a couplet's lines are as long as its 上联 (line_len 0: no fixed length)
_LINE_LEN = {Form.WUJUE: 5, Form.QIJUE: 7, Form.WULV: 5, Form.QILV: 7, Form.WUPAI: 5, Form.QIPAI: 7,
             Form.DUILIAN: 0}  # fmt: skip
_N_LINES = {Form.WUJUE: 4, Form.QIJUE: 4, Form.WULV: 8, Form.QILV: 8, Form.WUPAI: None,
            Form.QIPAI: None, Form.DUILIAN: 2}  # fmt: skip
_EN = {
    Form.WUJUE: "five-character quatrain",
    Form.QIJUE: "seven-character quatrain",
    Form.WULV: "five-character regulated verse",
    Form.QILV: "seven-character regulated verse",
    Form.WUPAI: "five-character extended regulated verse",
    Form.QIPAI: "seven-character extended regulated verse",
    Form.DUILIAN: "antithetical couplet",
}
_BY_NAME: dict[str, Form] = {
    **{form.value: form for form in Form},
    "五言绝句": Form.WUJUE,
    "七言绝句": Form.QIJUE,
    "五言律诗": Form.WULV,
    "七言律诗": Form.QILV,
    "五絕": Form.WUJUE,
    "七絕": Form.QIJUE,
    "五言絕句": Form.WUJUE,
    "七言絕句": Form.QIJUE,
    "五言律詩": Form.WULV,
    "七言律詩": Form.QILV,
    "五排": Form.WUPAI,
    "七排": Form.QIPAI,
    "wujue": Form.WUJUE,
    "qijue": Form.QIJUE,
    "wulv": Form.WULV,
    "qilv": Form.QILV,
    "對聯": Form.DUILIAN,
    "楹联": Form.DUILIAN,
    "楹聯": Form.DUILIAN,
    "联": Form.DUILIAN,
    "duilian": Form.DUILIAN,
    "couplet": Form.DUILIAN,
}


@dataclass(frozen=True, slots=True)
class Scheme:
    """One candidate template for a whole poem: the 4-line cycle and 首句入韵."""

    cycle: tuple[LineType, LineType, LineType, LineType]  # aBbA or bAaB
    first_rhymes: bool

    def line_type(self, index: int) -> LineType:
        t = self.cycle[index % 4]
        if index == 0 and self.first_rhymes:
            return t.rhyming_variant
        return t

    def types(self, n: int) -> tuple[LineType, ...]:
        return _scheme_types(self, n)

    def qi(self, line_len: int) -> str:
        """平起 / 仄起, read from the 2nd character of line 1."""
        second = self.line_type(0).standard(line_len)[1]
        return "平起" if second == PING else "仄起"


@lru_cache(maxsize=256)
def _scheme_types(scheme: Scheme, n: int) -> tuple[LineType, ...]:
    return tuple(scheme.line_type(i) for i in range(n))


CYCLE_ZE = (LineType.a, LineType.B, LineType.b, LineType.A)  # 五言仄起
CYCLE_PING = (LineType.b, LineType.A, LineType.a, LineType.B)  # 五言平起
SCHEMES: tuple[Scheme, ...] = (
    Scheme(CYCLE_ZE, False),
    Scheme(CYCLE_ZE, True),
    Scheme(CYCLE_PING, False),
    Scheme(CYCLE_PING, True),
)
