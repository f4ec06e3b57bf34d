"""The strict-metre template as a grammar for remote servers, from the same automaton.

A remote server cannot run our masks, but llama.cpp's server takes a GBNF
grammar (its ``grammar`` field) and vLLM takes a grammar or a regular expression
(``structured_outputs``). Both are written here by walking
:class:`~app.compose.constraint.automaton.MetreAutomaton`: GBNF gets one rule per
automaton state (after merging states with the same future); the regular
expression spells the same paths out, couplet by couplet.

Characters are the rhyme book's (its group lists in both scripts, filtered by the
spec's script) as character classes per tone class. Two things a grammar cannot
count are handled by construction: the rhyme positions draw from disjoint parts
of the group (its characters dealt out in turn, most used first), so no rhyme
repeats; and thinking has no token budget (``max_tokens`` still bounds it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from app.compose.constraint.automaton import MetreAutomaton, MetreState, ToneClass
from app.compose.constraint.chars import CharTable, book_universe
from app.compose.constraint.spec import ConstraintError, ConstraintSpec, plan_automaton
from app.prosody.forms import SCHEMES

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book
    from app.prosody.books.shelf import Shelf

__all__ = [
    "RemoteMode",
    "metre_gbnf",
    "metre_grammar_plan",
    "metre_regex",
    "remote_constraint_fields",
]

RemoteMode = Literal["off", "gbnf", "vllm-grammar", "vllm-regex", "vllm-guided-regex"]

# A symbol of the automaton's alphabet: ("c", bits) a character of the tone classes in
# ``bits``; ("r", k, bits) the k-th rhyme, of those classes; ("nl",) a line break.
Symbol = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class GrammarPlan:
    """The automaton as a graph of merged states, and the character sets it uses."""

    automaton: MetreAutomaton
    start: int
    finals: frozenset[int]
    edges: tuple[tuple[tuple[Symbol, int], ...], ...]  # per state: (symbol, next state)
    class_chars: dict[int, str]  # tone-class bits -> characters
    rhyme_chars: tuple[str, ...]  # per rhyme slot: its part of the group


def _rhyme_index(automaton: MetreAutomaton, state: MetreState) -> int:
    """Which rhyme (0-based) this line's ending is."""
    if state.line == 0:
        return 0
    schemes = automaton.candidate_schemes(state)
    first = schemes[0].first_rhymes if schemes else False
    return (state.line - 1) // 2 + (1 if first else 0)


def metre_grammar_plan(
    spec: ConstraintSpec, table: CharTable, *, max_chars: int | None = None
) -> GrammarPlan:
    """Explore the automaton for ``spec`` and merge states with the same future.
    ``max_chars`` keeps only the most used characters of each tone class (by Tang
    usage; rhyme characters are never cut)."""
    automaton = plan_automaton(spec, table)
    # Explore: states, then edges over symbols.
    index: dict[MetreState, int] = {}
    order: list[MetreState] = []
    raw_edges: list[list[tuple[Symbol, MetreState]]] = []

    def visit(st: MetreState) -> int:
        got = index.get(st)
        if got is None:
            got = index[st] = len(order)
            order.append(st)
            raw_edges.append([])
            stack.append(st)
        return got

    stack: list[MetreState] = []
    visit(automaton.start())
    while stack:
        st = stack.pop()
        out = raw_edges[index[st]]
        if automaton.wants_break(st):
            nxt = automaton.newline(st)
            assert nxt is not None
            out.append((("nl",), nxt))
            visit(nxt)
            continue
        slot = automaton.slot(st)
        by_next: dict[tuple[MetreState, bool], int] = {}
        for tone in ToneClass:
            bit = 1 << tone
            for rhyme in (False, True):
                if not (slot.rhyme if rhyme else slot.plain) & bit:
                    continue
                got = automaton.step(st, tone, rhyme)
                if got is not None:
                    key = (got[0], rhyme)
                    by_next[key] = by_next.get(key, 0) | bit
        for (nxt, rhyme), bits in by_next.items():
            sym: Symbol = ("r", _rhyme_index(automaton, st), bits) if rhyme else ("c", bits)
            out.append((sym, nxt))
            visit(nxt)
    # Characters per tone-class combination and per rhyme slot.
    class_chars: dict[int, str] = {}
    for tone in ToneClass:
        chars = [table.chars[i] for i in np.flatnonzero(table.classes == tone)]
        if max_chars is not None and len(chars) > max_chars:
            chars.sort(key=lambda c: (-table.book.frequency(c), c))
            chars = sorted(chars[:max_chars])
        class_chars[1 << tone] = "".join(chars)
    members = table.group_members(spec.group.id)
    slots = max(
        (automaton.rhyme_slots(s) for i, s in enumerate(SCHEMES) if automaton.schemes >> i & 1),
        default=0,
    )
    rhyme_chars = tuple("".join(members[k::slots]) for k in range(slots))

    def has_chars(sym: Symbol) -> bool:
        if sym[0] == "nl":
            return True
        if sym[0] == "r":
            return bool(rhyme_chars[sym[1]])
        return any(class_chars[1 << t] for t in ToneClass if sym[1] >> t & 1)

    n = len(order)
    finals = {i for i, st in enumerate(order) if automaton.is_final(st)}
    # Drop edges no character can take (a tone class with no characters), then states
    # that can no longer finish.
    for out in raw_edges:
        out[:] = [(sym, nxt) for sym, nxt in out if has_chars(sym)]
    live = set(finals)
    for i in reversed(range(n)):  # children were visited after their parents
        if any(index[nxt] in live for _sym, nxt in raw_edges[i]):
            live.add(i)
    changed = True
    while changed:  # the visit order is depth-first: settle what is left
        changed = False
        for i in range(n):
            if i not in live and any(index[nxt] in live for _sym, nxt in raw_edges[i]):
                live.add(i)
                changed = True
    for out in raw_edges:
        out[:] = [(sym, nxt) for sym, nxt in out if index[nxt] in live]

    # Merge states with the same future (Moore's partition refinement; the graph is acyclic).
    def merged(i: int, block: list[int]) -> tuple[tuple[Symbol, int], ...]:
        """State i's edges with one edge per (kind, next block): the tone classes that
        lead there, together."""
        bits: dict[tuple[Any, ...], int] = {}
        for sym, nxt in raw_edges[i]:
            if sym[0] == "nl":
                key: tuple[Any, ...] = ("nl", block[index[nxt]])
            else:
                key = (*sym[:-1], block[index[nxt]])
            bits[key] = bits.get(key, 0) | (sym[-1] if sym[0] != "nl" else 0)
        return tuple(
            sorted(
                (("nl",) if key[0] == "nl" else (*key[:-1], b), key[-1]) for key, b in bits.items()
            )
        )

    block = [1 if i in finals else 0 for i in range(n)]
    while True:
        ids: dict[object, int] = {}
        new = [ids.setdefault((block[i], merged(i, block)), len(ids)) for i in range(n)]
        stable = len(ids) == len(set(block))
        block = new
        if stable:
            break
    edges: list[tuple[tuple[Symbol, int], ...]] = [()] * (max(block) + 1)
    for i in range(n):
        edges[block[i]] = merged(i, block)
    return GrammarPlan(
        automaton,
        block[index[automaton.start()]],
        frozenset(block[i] for i in finals),
        tuple(edges),
        class_chars,
        rhyme_chars,
    )


# ---------------------------------------------------------------- character classes
def _ranges(chars: str) -> list[tuple[int, int]]:
    points = sorted({ord(c) for c in chars})
    out: list[tuple[int, int]] = []
    for p in points:
        if out and p == out[-1][1] + 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _class(chars: str, escape: Callable[[int], str]) -> str:
    parts = []
    for lo, hi in _ranges(chars):
        if lo == hi:
            parts.append(escape(lo))
        elif hi == lo + 1:
            parts.append(escape(lo) + escape(hi))
        else:
            parts.append(f"{escape(lo)}-{escape(hi)}")
    return "[" + "".join(parts) + "]"


def _plain(cp: int) -> str:
    ch = chr(cp)
    if ch in "\\]^-[" or cp < 0x20:
        return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"
    return ch


def _chars_for(plan: GrammarPlan, sym: Symbol) -> str:
    if sym[0] == "r":
        return plan.rhyme_chars[sym[1]]
    bits = sym[1]
    return "".join(plan.class_chars[1 << t] for t in ToneClass if bits >> t & 1)


# ---------------------------------------------------------------- GBNF
_THINK_GBNF = 'think ::= "<think>"? [^<]* "</think>" [ \\t\\n]*'


def metre_gbnf(
    spec: ConstraintSpec, table: CharTable, *, think: bool = True, max_chars: int | None = None
) -> str:
    """A GBNF grammar (llama.cpp) for ``<answer>\\n<poem>\\n</answer>``, with free thinking
    before it (``think``, unless the spec's ``think_budget`` is 0; no ``<`` inside) or
    without. ``max_chars`` (default: the spec's ``grammar_chars``, else every character)
    keeps the most used characters of each tone class."""
    think = think and spec.think_budget > 0
    plan = metre_grammar_plan(
        spec, table, max_chars=max_chars if max_chars is not None else spec.grammar_chars
    )
    lines = []
    head = "think " if think else ""
    lines.append(f'root ::= {head}"<answer>\\n" s{plan.start} "\\n</answer>"')
    if think:
        lines.append(_THINK_GBNF)
    names: dict[Symbol, str] = {}
    for i, out in enumerate(plan.edges):
        alts = []
        for sym, nxt in out:
            if sym[0] == "nl":
                alts.append(f'"\\n" s{nxt}')
                continue
            name = names.get(sym)
            if name is None:
                name = f"r{sym[1]}" if sym[0] == "r" else f"c{sym[1]}"
                names[sym] = name
            alts.append(f"{name} s{nxt}")
        if i in plan.finals:
            alts.append('""')
        lines.append(f"s{i} ::= " + " | ".join(alts))
    for sym, name in sorted(names.items(), key=lambda kv: kv[1]):
        lines.append(f"{name} ::= {_class(_chars_for(plan, sym), _plain)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- regular expression
REGEX_MAX_CHARS = 300


def metre_regex(
    spec: ConstraintSpec,
    table: CharTable,
    *,
    think: bool = False,
    max_chars: int | None = None,
) -> str:
    """The same language as a regular expression (Python ``re`` syntax, which vLLM's
    backends read). A regular expression cannot name a character class once and reuse
    it, so every position spells its class out: ``max_chars`` keeps the most used
    characters of each tone class (default: the spec's ``grammar_chars``, else 300:
    0.25–0.6 million characters; the whole book makes 2–4.5 million). Paths are factored
    at the states every path passes."""
    if max_chars is None:
        max_chars = spec.grammar_chars or REGEX_MAX_CHARS
    think = think and spec.think_budget > 0
    plan = metre_grammar_plan(spec, table, max_chars=max_chars)
    classes: dict[Symbol, str] = {}
    ipd = _post_dominators(plan)
    memo: dict[tuple[int, int], str] = {}

    def cls(sym: Symbol) -> str:
        got = classes.get(sym)
        if got is None:
            got = classes[sym] = "\\n" if sym[0] == "nl" else _class(_chars_for(plan, sym), _plain)
        return got

    def seg(state: int, until: int) -> str:
        """Every path from ``state`` to ``until`` (-1: to the end)."""
        if state == until:
            return ""
        key = (state, until)
        got = memo.get(key)
        if got is not None:
            return got
        mid = ipd[state]
        if mid != until and mid >= 0:  # every path passes ``mid``: write it once
            got = seg(state, mid) + seg(mid, until)
        else:
            alts = [cls(sym) + seg(nxt, until) for sym, nxt in plan.edges[state]]
            if until < 0 and state in plan.finals:
                alts.append("")
            got = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        memo[key] = got
        return got

    body = "<answer>\\n" + seg(plan.start, -1) + "\\n</answer>"
    if think:
        body = "(?:<think>)?[^<]*</think>\\s*" + body
    return body


def _post_dominators(plan: GrammarPlan) -> list[int]:
    """Per state, its immediate post-dominator: the nearest state every path from it to
    the end passes through (-1: none but the end itself)."""
    n = len(plan.edges)
    order: list[int] = []  # a topological order (the graph is acyclic)
    seen = [False] * n

    def visit(i: int) -> None:
        seen[i] = True
        for _sym, nxt in plan.edges[i]:
            if not seen[nxt]:
                visit(nxt)
        order.append(i)

    visit(plan.start)
    pdom: dict[int, frozenset[int]] = {}
    for i in order:  # children first
        succ = [pdom[nxt] for _sym, nxt in plan.edges[i]]
        if i in plan.finals:
            succ.append(frozenset())  # the end: only itself post-dominates it
        common = frozenset.intersection(*succ) if succ else frozenset()
        pdom[i] = common | {i}
    out = [-1] * n
    for i, doms in pdom.items():
        strict = doms - {i}
        if strict:
            out[i] = max(strict, key=lambda d: len(pdom[d]))
    return out


# ---------------------------------------------------------------- remote requests
def remote_constraint_fields(
    spec: dict[str, Any] | ConstraintSpec,
    book: Book | Shelf,
    mode: RemoteMode,
    *,
    tables: dict[object, CharTable] | None = None,
) -> dict[str, Any]:
    """The JSON fields that ask a server to follow ``spec``: ``grammar`` for llama.cpp's
    server (GBNF, thinking allowed before the answer); ``structured_outputs`` with a
    ``grammar`` or ``regex`` for vLLM ≥ 0.10.2, or the older ``guided_regex``. vLLM
    applies them to the answer after its reasoning parser, so they hold no thinking.
    ``tables`` caches character tables between requests. ``book``: the rhyme book of the
    spec's group, or a shelf of books to take it from. A 词's spec (kind ``ci``) is
    refused: its rhyme sets change with what is written and its 叠句 repeat it, which a
    grammar cannot follow."""
    from app.prosody.books.shelf import Shelf

    if isinstance(spec, dict) and spec.get("kind") == "ci":
        raise ConstraintError(
            "constraint_unsupported",
            "词的严格格律只能用本机模型生成，远程服务器的语法约束做不到（换韵、叠句）",
            "strict metre for a ci works with a local model only: a remote server's grammar "
            "cannot follow its changes of rhyme and repeated lines",
        )
    if isinstance(spec, dict) and spec.get("kind") == "couplet":
        raise ConstraintError(
            "remote_couplet",
            "远程服务器暂不支持严格格律对下联，请用本地模型",
            "strict metre for a couplet's second line needs the local engine",
        )
    parsed = ConstraintSpec.from_dict(spec)
    the_book = book.book(parsed.book) if isinstance(book, Shelf) else book
    if the_book.kind is not parsed.book:
        raise ConstraintError(
            "wrong_book",
            f"{parsed.group.name}不在{the_book.kind.zh}里",
            f"{parsed.group.name} is not a group of {the_book.kind.en}",
        )
    key = (parsed.policy, parsed.book)
    table = tables.get(key) if tables is not None else None
    if table is None:
        table = CharTable.build(the_book, book_universe(the_book), parsed.policy)
        if tables is not None:
            tables[key] = table
    if mode == "gbnf":
        return {"grammar": metre_gbnf(parsed, table, think=True)}
    if mode == "vllm-grammar":
        return {"structured_outputs": {"grammar": metre_gbnf(parsed, table, think=False)}}
    if mode == "vllm-regex":
        return {"structured_outputs": {"regex": metre_regex(parsed, table)}}
    if mode == "vllm-guided-regex":
        return {"guided_regex": metre_regex(parsed, table)}
    raise ValueError(f"no remote constraint mode {mode!r}")
