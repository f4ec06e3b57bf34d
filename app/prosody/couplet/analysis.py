"""What the couplet checker says: a :class:`PoemAnalysis` with the couplet's shape beside it.

Per character, per line (a line is a 分句, a clause) and the findings are those of the poem
checker, so the editor paints, lists and scores a couplet the way it does a poem; the
couplet-only facts (which clauses are the 上联, the parallelism of each clause pair) sit
beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.prosody.analysis import PoemAnalysis


@dataclass(frozen=True, slots=True)
class CoupletAnalysis(PoemAnalysis):
    """A couplet's analysis: ``form`` is Form.DUILIAN; ``lines[:split]`` are the 上联."""

    split: int = 0
    antithesis: tuple[float, ...] = field(default=())  # per clause pair (couplet_score)

    @property
    def first(self) -> tuple[int, ...]:
        return tuple(range(self.split))

    @property
    def second(self) -> tuple[int, ...]:
        return tuple(range(self.split, len(self.lines)))

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(上联 clause, 下联 clause) line indices, in order."""
        k = min(self.split, len(self.lines) - self.split)
        return tuple((j, self.split + j) for j in range(k))

    @property
    def is_long(self) -> bool:
        return max(self.split, len(self.lines) - self.split) > 1

    @property
    def summary_zh(self) -> str:
        if not self.chars:
            return ""
        kind = f"长联（每边{self.split}个分句）" if self.is_long else "对联"
        n_err = len(self.errors)
        return f"{kind}，" + (f"{n_err}处错误" if n_err else "合律")

    @property
    def summary_en(self) -> str:
        if not self.chars:
            return ""
        kind = f"long couplet ({self.split} clauses a side)" if self.is_long else "couplet"
        n_err = len(self.errors)
        return f"{kind}, " + (f"{n_err} error(s)" if n_err else "keeps the rules")
