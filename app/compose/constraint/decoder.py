"""Strict-metre generation: the ``<answer>`` obeys the form by construction.

The model still chooses every token; the constraint only removes the tokens
that would break the metre. A generation goes through four phases:

1. **think** — free. Only end-of-generation and control tokens are removed, so the
   model cannot stop before the poem. The phase ends when the model writes
   ``</think>`` (or ``<answer>``), or after ``think_budget`` tokens.
2. **bridge** — forced tokens: ``</think>`` if thinking was still open, then
   ``<answer>`` and a line break.
3. **poem** — the metre automaton (:mod:`app.compose.constraint.automaton`) through
   precomputed vocabulary masks (:mod:`app.compose.constraint.masks`).
4. **close** — forced ``\\n</answer>`` and the end-of-generation token.

The engine applies a :class:`TokenConstraint` to llama.cpp's logits in place
(:func:`apply`) before its native sampler chain picks a token, then reports the
token (:func:`accept`); see :mod:`app.compose.constraint.loop`.
:class:`ConstraintFactory` holds what is built once per loaded model: the
vocabulary index (cached on disk), the rhyme book's view of its characters and
the masks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from app.compose.constraint.automaton import MetreAutomaton
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe
from app.compose.constraint.ci.rules import CiRhymeTable
from app.compose.constraint.ci.spec import CiSpec, is_ci_spec
from app.compose.constraint.couplet import CoupletAutomaton, CoupletSpec
from app.compose.constraint.masks import Ids, MaskTable
from app.compose.constraint.poem import PoemRules, PoemState
from app.compose.constraint.spec import (
    ConstraintError,
    ConstraintSpec,
    metre_spec,
    plan_automaton,
)
from app.compose.constraint.steps import MaskSteps
from app.compose.vocab.index import VocabIndex
from app.engine.tokens import utf8_incomplete
from app.prosody.books.kinds import BookKind
from app.prosody.ci.books import CiBookKind, ci_book

if TYPE_CHECKING:
    from app.engine.requests import Sampling
    from app.prosody.books.shelf import Shelf
    from app.prosody.rhymebook import RhymeBook
    from app.prosody.rhymebook.cilin import CilinBook

__all__ = [
    "ConstraintError",
    "ConstraintFactory",
    "ConstraintSpec",
    "Phase",
    "TokenConstraint",
    "build_constraint",
    "build_token_source",
    "default_cache_dir",
    "factory_for",
    "metre_spec",
]

ANSWER_OPEN = b"<answer>\n"
THINK_CLOSE = b"\n</think>\n\n"
ANSWER_CLOSE = b"\n</answer>"
_NEG_INF = np.float32(-np.inf)
_MAX_DELAY = 4  # extra think tokens allowed to finish a character before the bridge


class Phase(Enum):
    THINK = "think"
    FORCED = "forced"
    POEM = "poem"
    DONE = "done"


Tokenize = Callable[[bytes], list[int]]
Piece = Callable[[int], bytes]


class TokenConstraint:
    """One request's constraint: call :meth:`apply` on the logits, then :meth:`accept`."""

    def __init__(
        self,
        table: MaskTable,
        rules: PoemRules,
        *,
        piece: Piece,
        tokenize: Tokenize,
        eos: int,
        think_budget: int,
    ) -> None:
        self.table = table
        self.rules = rules
        self._piece = piece
        self._tokenize = tokenize
        self._eos = eos
        self._banned: Ids = table.vocab.banned_while_thinking.astype(np.intp)
        self.think_budget = think_budget
        self.think_tokens = 0
        self.substitutions = 0  # sampled tokens outside the mask (never expected)
        self.state: PoemState = rules.start()
        self._steps = MaskSteps(table, rules)
        self._tail = b""
        self._forced: list[int] = []
        self._after_forced = Phase.POEM
        self._forced_by = ""  # why the current forced tokens are written ("think_budget")
        self.last_tag = ""  # the same for the token accepted last
        self.think_end = ""  # how thinking ended: "model", "budget", "" (no thinking)
        self._delay = 0
        close = [*tokenize(ANSWER_CLOSE), eos]
        self._close = close
        automaton = rules.automaton
        # the most tokens the answer can take: every byte a token, plus the tags
        self.reserve = (
            len(tokenize(THINK_CLOSE + ANSWER_OPEN))
            + automaton.n_chars * 4
            + automaton.n_lines
            + len(close)
            + _MAX_DELAY
        )
        self.phase = Phase.THINK
        if think_budget == 0:
            self._force(ANSWER_OPEN, Phase.POEM)

    # ------------------------------------------------------------------ budget
    def limit(self, max_tokens: int) -> None:
        """Fit the thinking budget into ``max_tokens`` so the poem always completes."""
        room = max_tokens - self.reserve
        if room < 0:
            raise ConstraintError(
                "too_short",
                f"生成长度上限（{max_tokens} 个词元）放不下一首完整的诗，"
                f"严格格律至少需要 {self.reserve} 个",
                f"the token limit ({max_tokens}) is too small for a whole poem; strict metre "
                f"needs at least {self.reserve}",
            )
        if self.phase is Phase.THINK:
            self.think_budget = min(self.think_budget, room)
            if self.think_budget == 0 and self.think_tokens == 0:
                self._force(ANSWER_OPEN, Phase.POEM)

    # ------------------------------------------------------------------ the two calls
    def allowed_parts(self) -> tuple[Ids, ...] | None:
        """Token ids allowed next (disjoint arrays); None while thinking (everything
        but the end-of-generation and control tokens)."""
        if self.phase is Phase.THINK:
            return None
        if self.phase is Phase.POEM:
            return self.table.allowed_parts(self.rules, self.state)
        return (np.asarray(self._forced[:1] or [self._eos], dtype=np.intp),)

    def allowed(self) -> Ids | None:
        parts = self.allowed_parts()
        if parts is None:
            return None
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def apply(self, logits: npt.NDArray[np.float32]) -> None:
        """Set every disallowed token's logit to -inf, in place. Thinking: the banned
        few; forced tokens: all but one; the poem: :meth:`MaskSteps.mask`."""
        phase = self.phase
        if phase is Phase.THINK:
            logits[self._banned] = _NEG_INF
        elif phase is Phase.POEM:
            self._steps.mask(self.state, logits)
        else:
            token = self._forced[0] if self._forced else self._eos
            kept = logits[token]
            logits.fill(_NEG_INF)
            logits[token] = kept

    def accept(self, token: int, logits: npt.NDArray[np.float32] | None = None) -> int:
        """Record the sampled token (replaced by the best allowed one if the sampler ever
        picked a masked token); returns the token to use."""
        if logits is not None and logits[token] == _NEG_INF:
            token = int(np.argmax(logits))
            self.substitutions += 1
        phase = self.phase
        self.last_tag = self._forced_by if phase is Phase.FORCED else ""
        if phase is Phase.THINK:
            self._think(token)
        elif phase is Phase.FORCED:
            if self._forced and token == self._forced[0]:
                self._forced.pop(0)
            if not self._forced:
                self.phase = self._after_forced
        elif phase is Phase.POEM:
            nxt = self._steps.advance(self.state, token)
            if nxt is None:  # only a token outside the mask gets here
                raise ConstraintError(
                    "internal",
                    "格律约束内部错误：选中了不合格律的词元",
                    f"metre constraint: token {token} does not fit the poem",
                )
            self.state = nxt
            if self.rules.is_final(nxt):
                self._forced = list(self._close)
                self._after_forced = Phase.DONE
                self.phase = Phase.FORCED
        return token

    # ------------------------------------------------------------------ thinking
    def _force(self, text: bytes, after: Phase, why: str = "") -> None:
        self._forced = self._tokenize(text) if text else []
        self._after_forced = after
        self._forced_by = why
        self.phase = Phase.FORCED if self._forced else after

    def _think(self, token: int) -> None:
        self.think_tokens += 1
        before = self._tail
        text = before + self._piece(token)
        self._tail = text[-64:]
        low = text.lower()
        from_ = max(0, len(before) - 8)  # a tag that ends in this token
        at = low.find(b"<answer>", from_)
        if at >= 0:
            self.think_end = "model"
            rest = text[at + 8 :]
            if rest and not rest.strip():
                self.phase = Phase.POEM  # the model opened the answer itself
            else:
                self._force(b"\n", Phase.POEM)
            return
        at = low.find(b"</think>", from_)
        if at >= 0:
            self.think_end = "model"
            rest = text[at + 8 :]
            if not rest:
                self._force(b"\n\n" + ANSWER_OPEN, Phase.POEM)
            elif not rest.strip():
                self._force(ANSWER_OPEN, Phase.POEM)
            else:
                self._force(b"\n" + ANSWER_OPEN, Phase.POEM)
            return
        if self.think_tokens >= self.think_budget:
            if utf8_incomplete(self._tail) and self._delay < _MAX_DELAY:
                self._delay += 1
                return
            self.think_end = "budget"
            self._force(THINK_CLOSE + ANSWER_OPEN, Phase.POEM, "think_budget")

    # ------------------------------------------------------------------ a slow hook
    def logits_processor(self) -> Callable[[npt.NDArray[np.intc], npt.NDArray[np.single]], Any]:
        """A llama-cpp-python ``logits_processor`` doing the same through ``Llama.generate``
        (slower: every step copies the whole logits array through Python; 1.10–1.16× the
        free time per token on the tiny model, against 1.05× for the engine's loop)."""
        seen = [-1]

        def process(
            input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
        ) -> npt.NDArray[np.single]:
            n = len(input_ids)
            if seen[0] >= 0 and n > seen[0]:
                self.accept(int(input_ids[-1]))
            seen[0] = n
            out = np.array(scores, dtype=np.float32)
            self.apply(out)
            return out

        return process


_Made = TypeVar("_Made", bound=TokenConstraint)


class ConstraintFactory:
    """What is built once per loaded model: vocabulary index, character tables, masks.

    ``llama`` is a ``llama_cpp.Llama``; the rhyme books are passed in as a ``shelf`` (or
    made from ``book``, the 平水韵, or the bundled one is loaded): a request keeps the
    book of its rhyme group. ``timings`` records how long each part took (seconds).
    """

    def __init__(
        self,
        llama: Any,
        *,
        book: RhymeBook | None = None,
        shelf: Shelf | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        from app.compose.constraint.loop import llama_io
        from app.compose.vocab.llama import load_vocab_index

        if shelf is None:
            from app.prosody.books.shelf import Shelf

            if book is None:
                from app.prosody.rhymebook import RhymeBook

                book = RhymeBook.load()
            shelf = Shelf(book)
        self.shelf = shelf
        self.book = shelf.pingshui
        self.llama = llama
        loaded = load_vocab_index(llama, cache_dir)
        self.vocab: VocabIndex = loaded.index
        self.timings: dict[str, float] = {"vocab_s": loaded.seconds}
        self.vocab_cache_hit = loaded.cache_hit
        self.vocab_cache_path = loaded.path
        self.piece, self.tokenize, self.eos = llama_io(llama)
        self.cache_dir = cache_dir
        self.chars_cache_hit = False
        self.last: TokenConstraint | None = None  # the latest request's (for tools and tests)
        self._tables: dict[tuple[CharPolicy, BookKind], MaskTable] = {}
        self._automata: dict[tuple[object, ...], MetreAutomaton] = {}
        # 词: each 体's automaton and usable 部 per request settings; rhyme tables per book
        self.ci_plans: dict[tuple[object, ...], Any] = {}
        self._ci_tables: dict[tuple[object, ...], CiRhymeTable] = {}
        self._cilin: CilinBook | None = None

    def table(self, policy: CharPolicy, kind: BookKind = BookKind.PINGSHUI) -> MaskTable:
        """The token masks of one character policy in one rhyme book (built once each)."""
        got = self._tables.get((policy, kind))
        if got is None:
            t0 = time.perf_counter()
            book = self.shelf.book(kind)
            universe = self.vocab.han_chars | book_universe(book)
            chars, hit = CharTable.cached(
                book, universe, policy, self.cache_dir, key=f"vocab/{self.vocab.digest}"
            )
            self.chars_cache_hit = hit
            t1 = time.perf_counter()
            got = MaskTable(self.vocab, chars)
            self.timings["chars_s"] = t1 - t0
            self.timings["masks_s"] = time.perf_counter() - t1
            self._tables[policy, kind] = got
        return got

    def ci_rhymes(self, kind: CiBookKind, policy: CharPolicy, chars: CharTable) -> CiRhymeTable:
        """The 部 of every character of ``chars`` in the 词 rhyme book ``kind`` (built once
        per book and character policy)."""
        key = (kind, policy)
        got = self._ci_tables.get(key)
        if got is None:
            if kind is CiBookKind.CILIN and self._cilin is None:
                from app.prosody.rhymebook.cilin import CilinBook

                self._cilin = CilinBook.load()
            book = ci_book(kind, self.shelf, self._cilin)
            got = self._ci_tables[key] = CiRhymeTable(chars, book.rhymes)
        return got

    def build(
        self,
        spec: dict[str, Any] | ConstraintSpec | CiSpec | CoupletSpec,
        *,
        max_tokens: int | None = None,
    ) -> TokenConstraint:
        """A fresh constraint for one request (a 诗; a 词 for a spec of kind ``ci``; the
        下联 of a given 上联 for one of kind ``couplet``, :mod:`app.compose.constraint.couplet`);
        :class:`ConstraintError` if it cannot be met (also when ``max_tokens`` cannot hold
        a whole poem)."""
        if is_ci_spec(spec):
            from app.compose.constraint.ci.decoder import build_ci

            assert not isinstance(spec, ConstraintSpec | CoupletSpec)
            return build_ci(self, CiSpec.from_dict(spec), max_tokens=max_tokens)
        assert not isinstance(spec, CiSpec)
        any_spec = parse_spec(spec)
        if isinstance(any_spec, CoupletSpec):
            return self._build_couplet(any_spec, max_tokens)
        parsed = any_spec
        table = self.table(parsed.policy, parsed.book)
        key = (parsed.form, parsed.metre, parsed.group.id, parsed.policy)
        automaton = self._automata.get(key)
        if automaton is None:  # kept: its memos make the next request's steps cheap
            automaton = self._automata[key] = plan_automaton(parsed, table.chars.table)
        rules = PoemRules(automaton, table.chars, parsed.group.id)
        return self.make(TokenConstraint, table, rules, parsed.think_budget, max_tokens)

    def _build_couplet(self, parsed: CoupletSpec, max_tokens: int | None) -> TokenConstraint:
        table = self.table(parsed.policy, parsed.book)
        key = ("couplet", parsed.book, parsed.clauses, parsed.policy)
        automaton = self._automata.get(key)
        if automaton is None:
            automaton = self._automata[key] = CoupletAutomaton(
                parsed.first, self.shelf.book(parsed.book)
            )
        rules = PoemRules(automaton, table.chars, -1)  # no rhyme group
        return self.make(TokenConstraint, table, rules, parsed.think_budget, max_tokens)

    def make(
        self,
        kind: type[_Made],
        table: MaskTable,
        rules: PoemRules,
        think_budget: int,
        max_tokens: int | None,
    ) -> _Made:
        """A constraint of class ``kind`` over ``table`` and ``rules`` with this model's
        tokens, its thinking budget fitted into ``max_tokens``."""
        constraint = kind(
            table,
            rules,
            piece=self.piece,
            tokenize=self.tokenize,
            eos=self.eos,
            think_budget=think_budget,
        )
        if max_tokens is not None:
            constraint.limit(max_tokens)
        return constraint

    def token_source(
        self, spec: dict[str, Any] | ConstraintSpec | CiSpec | CoupletSpec, sampling: Sampling
    ) -> ConstrainedSource:
        """The engine's hook: ``tokens -> Iterator[int]`` generating under ``spec``
        (checked now, so an impossible request fails before the prompt is processed)."""
        constraint = self.build(spec, max_tokens=sampling.max_tokens)
        self.last = constraint
        return ConstrainedSource(self.llama, constraint, sampling)


class ConstrainedSource:
    """A token source for the engine's loop (``tokens -> Iterator[int]``) that also says
    why a token was forced (``tag()``: ``"think_budget"`` for the bridge the thinking
    budget wrote) and how thinking went (``thinking()``: tokens, how it ended)."""

    def __init__(self, llama: Any, constraint: TokenConstraint, sampling: Sampling) -> None:
        self.llama = llama
        self.constraint = constraint
        self.sampling = sampling

    def tag(self) -> str:
        return self.constraint.last_tag

    def thinking(self) -> tuple[int, str]:
        c = self.constraint
        end = c.think_end or ("unclosed" if c.phase is Phase.THINK and c.think_tokens else "")
        return c.think_tokens, end

    def __call__(self, tokens: list[int]) -> Iterator[int]:
        from app.compose.constraint.loop import constrained_tokens

        s = self.sampling
        self.constraint.limit(min(s.max_tokens, int(self.llama.n_ctx()) - len(tokens)))
        return constrained_tokens(self.llama, tokens, self.constraint, **s.sampler_args())


def parse_spec(
    spec: dict[str, Any] | ConstraintSpec | CoupletSpec,
) -> ConstraintSpec | CoupletSpec:
    """A poem's metre, or a couplet's 下联 (``"kind": "couplet"``)."""
    if isinstance(spec, ConstraintSpec | CoupletSpec):
        return spec
    if isinstance(spec, dict) and spec.get("kind") == "couplet":
        return CoupletSpec.from_dict(spec)
    return ConstraintSpec.from_dict(spec)


def default_cache_dir(
    spec: dict[str, Any] | ConstraintSpec | CiSpec | CoupletSpec | None = None,
) -> Path:
    """Where vocabulary indexes live: the spec's ``cache_dir``, else the app's cache
    folder (``$SHIJIAN_BASEDIR`` honoured) / ``constraint``."""
    if spec is not None:
        parsed: ConstraintSpec | CiSpec | CoupletSpec = (
            CiSpec.from_dict(spec)  # type: ignore[arg-type]
            if is_ci_spec(spec)
            else parse_spec(spec)  # type: ignore[arg-type]
        )
        if parsed.cache_dir:
            return Path(parsed.cache_dir)
    from app.paths import resolve_paths

    return resolve_paths().cache / "constraint"


def factory_for(
    llama: Any, spec: dict[str, Any], current: ConstraintFactory | None = None
) -> ConstraintFactory:
    """The factory serving ``llama``: ``current`` when it already does, else a new one
    (the engine keeps it for as long as the model is loaded)."""
    if current is not None and current.llama is llama:
        return current
    return ConstraintFactory(llama, cache_dir=default_cache_dir(spec))


def build_token_source(spec: dict[str, Any], llama: Any, sampling: Sampling) -> ConstrainedSource:
    """One-off form of the engine hook (builds the per-model tables each call; the
    engine keeps a :class:`ConstraintFactory` through :func:`factory_for` instead)."""
    return factory_for(llama, spec).token_source(spec, sampling)


def build_constraint(
    spec: dict[str, Any] | ConstraintSpec,
    llama: Any,
    *,
    book: RhymeBook | None = None,
    cache_dir: Path | None = None,
    max_tokens: int | None = None,
) -> TokenConstraint:
    """One-off: a factory for ``llama`` and a constraint for ``spec`` (keep a
    :class:`ConstraintFactory` to serve many requests)."""
    if cache_dir is None:
        cache_dir = default_cache_dir(spec)
    factory = ConstraintFactory(llama, book=book, cache_dir=cache_dir)
    return factory.build(spec, max_tokens=max_tokens)
