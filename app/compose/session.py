"""One compose run, Qt-free: engine events in, think/answer deltas and a poem out.

The window's compose panel makes a :class:`CandidateRun` per candidate, feeds it
the events of its stream (from a worker thread, in batches) and shows what comes
back. When the stream ends, :meth:`CandidateRun.poem` is the
:class:`ComposedPoem` the "insert into editor" and "save to library" actions
carry: the verse, the model, the sampling settings and the reasoning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.compose.ci.prompt import CiRequest
from app.compose.ci.text import format_answer
from app.compose.prompt import PromptPlan
from app.compose.stream import Delta, ParseResult, ThinkAnswerParser
from app.engine.events import (
    Done,
    EngineCrashed,
    EngineError,
    EngineEvent,
    GenerationStats,
    Started,
    Token,
)
from app.engine.requests import GenerateRequest

THINK_BUDGET = "think_budget"  # Token.forced: the engine closed thinking at the budget
CI_FORM = "词"  # ComposedPoem.form of a 词

__all__ = ["CandidateRun", "ComposedPoem"]


@dataclass(frozen=True, slots=True)
class ComposedPoem:
    """A generated poem with everything needed to keep or reproduce it."""

    text: str  # the verse lines joined by newlines (a 词: punctuated as its 体's template)
    lines: tuple[str, ...]
    model_id: str
    sampling: dict[str, Any]
    reasoning: str
    theme: str
    title: str
    form: str  # 五绝 / 七绝 / 五律 / 七律, or 词
    rhyme_group: int | None
    candidate: int = 0
    book: str = "pingshui"  # the rhyme book it was written in (app.prosody.books.BookKind)
    stats: dict[str, Any] = field(default_factory=dict)
    raw_answer: str = ""
    # a 词: its tune, its 体 (the 词谱's key, 菩薩蠻#0) and its rhyme book (CiBookKind)
    tune: str = ""
    ci_form: str = ""
    ci_book: str = ""


class CandidateRun:
    """Tracks one candidate's stream: parser, final result, stats or failure."""

    def __init__(
        self, index: int, plan: PromptPlan[Any], request: GenerateRequest, model_id: str
    ) -> None:
        self.index = index
        self.plan = plan
        self.request = request
        self.model_id = model_id
        self._parser = ThinkAnswerParser(assume_think=plan.assume_think)
        self.result: ParseResult | None = None
        self.stats: GenerationStats | None = None
        self.failure: EngineError | EngineCrashed | None = None
        self.note = ""
        self.n_tokens = 0
        self.prompt_tokens: int | None = None  # known once the engine took the request
        self.budget_ended_thinking = False  # the engine closed </think> at the budget
        self.budget_at: int | None = None  # thinking tokens when it did
        self._think_open = False  # the output started inside thinking

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def cancelled(self) -> bool:
        return self.stats is not None and self.stats.finish_reason == "cancelled"

    def consume(self, events: Iterable[EngineEvent]) -> list[Delta]:
        """Feed events; return the think/answer deltas to show, in order."""
        out: list[Delta] = []
        for event in events:
            if self.finished:
                break
            if isinstance(event, Started):
                self.prompt_tokens = event.prompt_tokens
                if event.think_open:
                    self._think_open = True
                    self._parser.open_think()
                continue
            if isinstance(event, Token):
                before = self.n_tokens
                self.n_tokens += event.n_tokens
                if event.forced == THINK_BUDGET and not self.budget_ended_thinking:
                    self.budget_ended_thinking = True
                    # every token so far was thinking when the prompt opened it (the budget
                    # may have been cut to leave room for a strict poem)
                    self.budget_at = before if self._think_open else None
                    self.budget_at = self.budget_at or self.request.think_budget
                out.extend(self._parser.feed(event.text))
                continue
            if isinstance(event, Done):
                self.stats = event.stats
                self.note = event.note
            else:
                self.failure = event
            tail, self.result = self._parser.finish()
            out.extend(tail)
        return out

    def abandon(self) -> list[Delta]:
        """End the run without a terminal event (the worker stopped early)."""
        if self.finished:
            return []
        tail, self.result = self._parser.finish()
        if self.stats is None and self.failure is None:
            self.stats = GenerationStats(finish_reason="cancelled")
        return tail

    def poem(self) -> ComposedPoem | None:
        """The poem, once finished with at least one verse line."""
        result = self.result
        if result is None or not result.lines:
            return None
        req = self.plan.request
        if isinstance(req, CiRequest):
            return ComposedPoem(
                text=format_answer(result.lines, req.form),
                lines=result.lines,
                model_id=self.model_id,
                sampling=self.request.sampling.to_dict(),
                reasoning=result.think,
                theme=req.theme,
                title=req.title,
                form=CI_FORM,
                rhyme_group=None,
                candidate=self.index,
                stats=self.stats.to_dict() if self.stats is not None else {},
                raw_answer=result.answer,
                tune=req.form.tune,
                ci_form=req.form.key,
                ci_book=req.book.value,
            )
        text, lines = result.poem, result.lines
        if req.form.value == "对联":  # the answer is the 下联: the couplet is both lines
            second = "，".join(lines)
            text = f"{req.couplet_first.strip()}\n{second}"
            lines = (req.couplet_first.strip(), second)
        return ComposedPoem(
            text=text,
            lines=lines,
            model_id=self.model_id,
            sampling=self.request.sampling.to_dict(),
            reasoning=result.think,
            theme=req.theme,
            title=req.title,
            form=req.form.value,
            rhyme_group=req.rhyme_group,
            candidate=self.index,
            book=req.book.value,
            stats=self.stats.to_dict() if self.stats is not None else {},
            raw_answer=result.answer,
        )
