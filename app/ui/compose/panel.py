"""The compose panel: the form, the reasoning, the result and the engine's state, running
a backend.

:class:`ComposePanel` wires the form (:class:`~app.ui.compose.form.ComposeForm`) to a
backend (the local engine client or a remote server): it builds the prompt (a 诗's, a 对联's
or a 词's), runs the candidates one after another on a worker thread
(:class:`~app.ui.workers.GeneratorWorker`, which batches events every ~40 ms), splits <think>
from <answer> as they stream, shows them in the
:class:`~app.ui.compose.reasoning.ReasoningPanel` and the
:class:`~app.ui.compose.result_view.ResultView`, and reports the engine's state, crash and
restart through :class:`~app.ui.models.engine_status.EngineStatus`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.compose.ci.prompt import CiRequest, build_ci_prompt
from app.compose.prompt import ComposeRequest, PromptPlan, PromptStyle, build_prompt
from app.compose.session import CandidateRun, ComposedPoem
from app.compose.stream import Part
from app.engine.backend import Backend, EventStream
from app.engine.events import EngineCrashed, EngineError, EngineEvent
from app.engine.requests import GenerateRequest, Sampling
from app.prosody.analysis import PoemAnalysis
from app.prosody.books.kinds import BookKind
from app.prosody.books.protocol import Book
from app.prosody.books.shelf import Shelf
from app.prosody.checker import Checker
from app.prosody.ci.checker import CiChecker, CiSettings
from app.prosody.forms import Form
from app.prosody.rhymebook import RhymeBook
from app.ui.compose.form import ComposeForm
from app.ui.compose.reasoning import ReasoningPanel
from app.ui.compose.result_view import ResultView
from app.ui.i18n import Tr
from app.ui.models.engine_status import EngineStatus
from app.ui.workers import GeneratorWorker

if TYPE_CHECKING:
    from app.engine.client import EngineClient

__all__ = ["ComposePanel"]


class ComposePanel(QWidget):
    """Form, reasoning, result and engine status, running a backend (module notes)."""

    insert_requested = Signal(object)  # ComposedPoem
    save_requested = Signal(object)  # ComposedPoem
    running_changed = Signal(bool)
    run_finished = Signal()

    def __init__(
        self,
        tr: Tr,
        book: RhymeBook,
        checker: Checker,
        backend: Backend,
        parent: QWidget | None = None,
        *,
        client: EngineClient | None = None,
        style: PromptStyle = PromptStyle.REASONING,
        sampling: Sampling | None = None,
        batch_ms: int = 40,
        think_budget: int = 1024,
        ci_checker: Callable[[], CiChecker | None] | None = None,
        shelf: Shelf | None = None,
        checker_for: Callable[[BookKind], Checker] | None = None,
    ) -> None:
        super().__init__(parent)
        self._tr = tr
        self._book = book
        self._shelf = shelf
        self._backend = backend
        self._client = client
        self.prompt_style = style
        self._sampling = sampling  # None: the style's own (Qwen's advice per thinking mode)
        self._batch_ms = batch_ms
        self.form = ComposeForm(tr, book, self, ci_checker=ci_checker, shelf=shelf)
        self.form.set_model_thinking(style, think_budget)
        self.reasoning = ReasoningPanel(tr, self, flush_ms=batch_ms)
        self.result = ResultView(tr, checker, self, flush_ms=batch_ms)
        self.result.ci_analyze = self._analyze_ci
        self.result.checker_for = checker_for
        self.status = EngineStatus(tr, self)
        if client is not None:
            self.status.attach(client)
        # room to read: the reasoning at least 6 lines, the result a 七律 (8) and its verdict
        line = self.fontMetrics().lineSpacing()
        self.reasoning.view.setMinimumHeight(6 * line + 12)
        self.result.stack.setMinimumHeight(9 * line + 12)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.reasoning)
        split.addWidget(self.result)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.form)
        layout.addWidget(split, 1)

        self.form.generate_requested.connect(self.start)
        self.form.stop_requested.connect(self.stop)
        self.result.insert_requested.connect(self.insert_requested)
        self.result.save_requested.connect(self.save_requested)
        self.status.restart_requested.connect(self.restart_engine)

        self._plan: PromptPlan[Any] | None = None
        self._requests: list[GenerateRequest] = []
        self._runs: list[CandidateRun] = []
        self._worker: GeneratorWorker | None = None
        self._restart_worker: GeneratorWorker | None = None
        self._stream: EventStream | None = None
        self._stream_lock = threading.Lock()
        self._stopping = False

    # ------------------------------------------------------------------ control
    @property
    def sampling(self) -> Sampling:
        """The sampling the poet set, else the defaults (thinking mode's)."""
        return self._sampling or Sampling()

    @sampling.setter
    def sampling(self, value: Sampling | None) -> None:
        self._sampling = value

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def runs(self) -> list[CandidateRun]:
        return list(self._runs)

    def set_backend(
        self,
        backend: Backend,
        *,
        style: PromptStyle | None = None,
        think_budget: int | None = None,
    ) -> None:
        """Use another backend (a newly loaded local model, a remote server);
        ``think_budget``: the model's default thinking budget."""
        if self.running:
            raise RuntimeError("cannot switch backends while generating")
        self._backend = backend
        if style is not None:
            self.prompt_style = style
        self.form.set_model_thinking(
            self.prompt_style,
            think_budget if think_budget is not None else self.form.default_budget,
        )

    def start(self, request: ComposeRequest | CiRequest) -> None:
        """Compose ``request``: its candidates run one after another."""
        if self.running:
            return
        if isinstance(request, CiRequest):
            self._start_ci(request)
            return
        book: Book = self._book if self._shelf is None else self._shelf.book(request.book)
        plan = build_prompt(request, book, style=self.prompt_style, sampling=self._sampling)
        self._plan = plan
        requests = plan.generate_requests()
        if self.form.strict_metre:
            # The spec format of app.compose.constraint.spec (other keys keep their defaults;
            # without a rhyme group the engine refuses it with a message saying so).
            spec: dict[str, Any] = {
                "kind": "metre",
                "form": request.form.value,
                "group": request.rhyme_group,
            }
            if request.form is Form.DUILIAN:  # the 下联 of the given 上联, in the book
                spec = {
                    "kind": "couplet",
                    "first": request.couplet_first,
                    "book": request.book.value,
                }
            requests = [replace(r, constraint=spec) for r in requests]
        self._run_all(requests)

    def _start_ci(self, request: CiRequest) -> None:
        """A 词 by 词牌 and 体: its prompt, and its strict spec (app.compose.constraint.ci)."""
        from app.compose.constraint.ci import ci_spec

        book = self.form.ci.ci_book() if self.form.ci is not None else None
        if book is None:  # no 词谱 installed (the window says how to build one)
            return
        plan = build_ci_prompt(
            request, book.rhymes, style=self.prompt_style, sampling=self._sampling
        )
        self._plan = plan
        requests = plan.generate_requests()
        if self.form.strict_metre:
            spec = ci_spec(request.form, book=request.book, bu=dict(request.bu or {}))
            requests = [replace(r, constraint=spec) for r in requests]
        self._run_all(requests)

    def _analyze_ci(self, poem: ComposedPoem) -> PoemAnalysis | None:
        """A generated 词 checked against the 体 and in the book it was asked for."""
        plan = self._plan
        request = plan.request if plan is not None else None
        book = self.form.ci.ci_book() if self.form.ci is not None else None
        if not isinstance(request, CiRequest) or book is None or self.form.ci is None:
            return None
        checker = self.form.ci.checker()
        if checker is None:
            return None
        settings = CiSettings(bu=tuple(sorted((request.bu or {}).items())))
        return checker.with_book(book).analyze(poem.text, form=request.form, settings=settings)

    def _run_all(self, requests: list[GenerateRequest]) -> None:
        self._requests = requests
        self._runs = []
        self._stopping = False
        self.status.clear_problem()
        self.result.reset(len(requests))
        self._set_running(True)
        self._run_candidate(0)

    def stop(self) -> None:
        """Stop the running candidate and skip the rest."""
        self._stopping = True
        with self._stream_lock:
            stream = self._stream
        if stream is not None:
            stream.cancel()  # the stream still ends with its terminal event
        elif self._worker is not None:
            self._worker.quit()

    def restart_engine(self) -> None:
        """Restart the local engine (and reload its model) off the GUI thread."""
        client = self._client
        if client is None or self._restart_worker is not None:
            return

        def restart() -> Iterator[object]:
            yield client.restart()

        worker = GeneratorWorker(restart, batch_ms=self._batch_ms, parent=self)
        worker.errored.connect(lambda exc: self.status.show_error(str(exc), restart=True))
        worker.finished.connect(self._on_restart_finished)
        self._restart_worker = worker
        self.status.clear_problem()
        worker.start()

    def _on_restart_finished(self) -> None:
        worker = self._restart_worker
        self._restart_worker = None
        if worker is not None:
            worker.wait(1000)
            worker.deleteLater()
        if self._client is not None:
            self.status.set_loaded(self._client.loaded)

    # ------------------------------------------------------------------ one candidate
    def _run_candidate(self, index: int) -> None:
        assert self._plan is not None
        req = self._requests[index]
        run = CandidateRun(index, self._plan, req, self._backend.model_id)
        self._runs.append(run)
        label = (
            self._tr(f"候选 {index + 1}", f"candidate {index + 1}")
            if len(self._requests) > 1
            else ""
        )
        self.reasoning.start(label)
        self.result.begin(index)
        backend = self._backend

        def events() -> Iterator[EngineEvent]:
            stream = backend.generate(req)  # may wait for an engine restart: off the GUI thread
            with self._stream_lock:
                self._stream = stream
            if self._stopping:
                stream.cancel()
            try:
                yield from stream
            finally:
                with self._stream_lock:
                    self._stream = None
                stream.close()

        worker = GeneratorWorker(events, batch_ms=self._batch_ms, parent=self)
        worker.yielded_batch.connect(lambda batch: self._on_events(run, batch))
        worker.errored.connect(lambda exc: self.status.show_error(str(exc)))
        worker.finished.connect(lambda: self._on_candidate_finished(run))
        self._worker = worker
        worker.start()

    def _on_events(self, run: CandidateRun, batch: list[EngineEvent]) -> None:
        before = run.n_tokens
        budget_before = run.budget_ended_thinking
        for delta in run.consume(batch):
            if delta.part is Part.THINK:
                self.reasoning.append(delta.text)
            else:
                self.result.append_answer(run.index, delta.text)
        if run.budget_ended_thinking and not budget_before:
            self.reasoning.note_budget_ended(run.budget_at)
        if run.n_tokens == 0 and run.prompt_tokens is not None and not run.finished:
            n = run.prompt_tokens
            self.result.set_progress(
                run.index,
                self._tr(f"正在处理提示（{n} 词元）…", f"Processing the prompt ({n} tokens)…"),
            )
        elif before == 0 and run.n_tokens > 0:
            self.result.set_progress(run.index, self._tr("生成中…", "Writing…"))
        failure = run.failure
        if isinstance(failure, EngineCrashed):
            self.status.show_crash(failure)
        elif isinstance(failure, EngineError):
            self.status.show_error(failure.message(self._tr.language))

    def _on_candidate_finished(self, run: CandidateRun) -> None:
        worker = self._worker
        self._worker = None
        if worker is not None:
            worker.wait(2000)
            worker.deleteLater()
        for delta in run.abandon():
            if delta.part is Part.THINK:
                self.reasoning.append(delta.text)
            else:
                self.result.append_answer(run.index, delta.text)
        if run.result is not None and run.result.ended_in_think and not run.cancelled:
            self.reasoning.note_unfinished()
        self.reasoning.finish()
        message = ""
        if run.failure is not None and self.status.has_problem:
            # the engine line above says why, in full: the message is shown once
            message = self._tr("没有写成，原因见上方。", "Nothing was written; see the note above.")
        elif run.failure is not None:
            message = run.failure.message(self._tr.language)
        elif run.cancelled:
            message = self._tr("已停止。", "Stopped.")
        self.result.finish(run.index, run.poem(), message=message)
        next_index = run.index + 1
        if (
            next_index < len(self._requests)
            and not self._stopping
            and not isinstance(run.failure, EngineCrashed)
        ):
            self._run_candidate(next_index)
            return
        self._set_running(False)
        self.run_finished.emit()

    def _set_running(self, running: bool) -> None:
        self.form.set_running(running)
        self.running_changed.emit(running)
