"""The compose panel in the main window, and where generated poems go.

:class:`ComposeFeature` adds 作诗 (Ctrl+G) to the 模型 menu. The first time it is
used it builds :class:`ComposeHost` — a line naming the model (a general model is
labelled as not the poetry model, one that thinks as such) above the
:class:`~app.ui.compose.panel.ComposePanel` (form, reasoning, result, engine status)
— and hosts it in the right-hand area with ``add_side_panel("compose", …)``. The
panel runs on the :class:`~app.ui.models.controller.ModelController`'s backend: the
local engine (the current model is loaded on the first Generate if it is not yet)
or the remote server. The strict-metre box goes to the engine with the request.

**Insert** (插入编辑器) opens the poem as a *new poem* in the editor — its origin,
model, sampling and reasoning travel with it into the library on Ctrl+S. The poem
that was in the editor is never overwritten: its draft is written first, and a
notice offers 回到刚才的诗. **Save** (存入诗库) keeps the candidate in the library
without opening it (scored like any save).

:class:`GeneratedInfoPanel` (生成记录) shows, for a generated poem opened from
the library, which model wrote it, with which sampling settings, and its reasoning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.storage.records import PoemData
from app.ui.document import PoemDocument
from app.ui.i18n import Tr
from app.ui.workers import GeneratorWorker

if TYPE_CHECKING:
    from app.compose.session import ComposedPoem
    from app.ui.compose.panel import ComposePanel
    from app.ui.models.choice import CurrentModel
    from app.ui.models.controller import ModelController
    from app.ui.window.host import FeatureHost

SAMPLING_SHOWN = ("temperature", "top_p", "top_k", "min_p", "max_tokens", "seed")


class ComposeHost(QWidget):
    """The model line (with 模型管理…) above the compose panel."""

    def __init__(self, panel: ComposePanel, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compose-host")
        self.panel = panel
        self.model_line = QLabel()
        self.model_line.setObjectName("compose-model")
        self.model_line.setWordWrap(True)
        self.model_line.setTextFormat(Qt.TextFormat.PlainText)
        self.manager_button = QPushButton(tr("模型管理…", "Models…"))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.model_line, 1)
        row.addWidget(self.manager_button)
        # the panel scrolls when the window is short (a 1366×768 laptop with every dock
        # open): the dock never forces the window taller than the screen
        self.scroller = QScrollArea()
        self.scroller.setObjectName("compose-scroll")
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setWidget(panel)
        # never narrower than the panel (it scrolls up and down, not sideways)
        bar = self.scroller.verticalScrollBar().sizeHint().width()
        self.scroller.setMinimumWidth(panel.minimumSizeHint().width() + bar + 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.scroller, 1)

    def show_model(self, text: str, *, warn: bool) -> None:
        self.model_line.setText(text)
        self.model_line.setStyleSheet("color: #b26a00; font-weight: bold;" if warn else "")


class GeneratedInfoPanel(QWidget):
    """Who wrote a generated poem: model, sampling, and the model's reasoning."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generated-info")
        self._tr = tr
        self.model_label = QLabel()
        self.model_label.setObjectName("generated-model")
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.model_label.setWordWrap(True)
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sampling_label = QLabel()
        self.sampling_label.setObjectName("generated-sampling")
        self.sampling_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sampling_label.setWordWrap(True)
        self.reasoning = QPlainTextEdit()
        self.reasoning.setObjectName("generated-reasoning")
        self.reasoning.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.model_label)
        layout.addWidget(self.sampling_label)
        layout.addWidget(QLabel(tr("推理过程", "Reasoning")))
        layout.addWidget(self.reasoning, 1)

    def show_data(self, data: PoemData) -> None:
        tr = self._tr
        self.model_label.setText(
            tr(f"模型：{data.model_id or '未知'}", f"Model: {data.model_id or 'unknown'}")
        )
        self.sampling_label.setText(tr("采样：", "Sampling: ") + sampling_text(data.sampling))
        self.reasoning.setPlainText(data.reasoning or "")


def sampling_text(sampling: Mapping[str, Any] | None) -> str:
    """The sampling settings worth showing, in a line (``temperature=0.6 · top_p=0.95 …``)."""
    if not sampling:
        return "—"
    shown = [f"{k}={sampling[k]}" for k in SAMPLING_SHOWN if sampling.get(k) is not None]
    others = sorted(k for k in sampling if k not in SAMPLING_SHOWN and sampling[k] is not None)
    shown += [f"{k}={json.dumps(sampling[k], ensure_ascii=False)}" for k in others]
    return " · ".join(shown) or "—"


def generated_data(poem: ComposedPoem) -> PoemData:
    """What the library keeps of a generated poem (title: the poem's, else its theme); a 词
    keeps its 词牌 and 体, and opens in 词 mode."""
    from app.compose.session import CI_FORM

    ci = poem.form == CI_FORM and bool(poem.tune)
    return PoemData(
        title=poem.title or poem.theme,
        text=poem.text,
        form=CI_FORM if ci else None,
        tune=poem.tune if ci else None,
        ci_form=(poem.ci_form or None) if ci else None,
        rhyme_book=(
            (None if poem.ci_book in ("", "cilin") else poem.ci_book)  # a 词: 词林正韵 by default
            if ci
            else (None if poem.book == "pingshui" else poem.book)
        ),
        origin="generated",
        model_id=poem.model_id or None,
        sampling=dict(poem.sampling),
        reasoning=poem.reasoning or None,
    )


class ComposeFeature(QObject):
    """The compose panel of a window (see the module notes)."""

    def __init__(self, window: FeatureHost, models: ModelController) -> None:
        super().__init__(window.widget())
        self.w = window
        self.models = models
        tr = window.tr_
        self.action = QAction(tr("作诗", "Compose"), window.widget())
        self.action.setObjectName("compose")
        self.action.setShortcut(QKeySequence("Ctrl+G"))
        self.action.setToolTip(tr("请模型写诗（Ctrl+G）", "Ask the model for a poem (Ctrl+G)"))
        self.action.triggered.connect(lambda _on=False: self.show())
        menu = window.menu("model")
        first = menu.actions()
        if first:
            menu.insertAction(first[0], self.action)
        else:
            menu.addAction(self.action)
        self.host: ComposeHost | None = None
        self.panel: ComposePanel | None = None
        self.info: GeneratedInfoPanel | None = None
        self._pending_backend = False
        models.model_changed.connect(self._model_changed)
        models.backend_changed.connect(self._backend_changed)
        models.load_started.connect(self._load_started)
        models.loaded.connect(self._loaded)
        models.load_failed.connect(self._load_failed)
        models.engine_state.connect(self._engine_state)
        window.on_document_loaded(self._document_loaded)

    # ------------------------------------------------------------------ the panel
    @property
    def running(self) -> bool:
        return self.panel is not None and self.panel.running

    def ensure_panel(self) -> ComposePanel:
        """Build the compose panel (first use) and host it in the right-hand area."""
        if self.panel is not None:
            return self.panel
        from app.compose.prompt import PromptStyle
        from app.ui.compose.panel import ComposePanel

        w = self.w
        services = w.services
        self.models.current()
        local = self.models.local_backend()
        panel = ComposePanel(
            w.tr_,
            services.book,
            services.checker,
            self.models.backend(),
            shelf=services.books(),
            checker_for=services.checker_for,
            client=local.client,
            style=PromptStyle(self.models.prompt_style()),
            think_budget=self.models.default_think_budget(),
            ci_checker=w.pane.ci_checker,
        )
        engine = self.models.settings.engine
        panel.form.set_thinking(engine.thinking, engine.think_budget)
        panel.form.generate_requested.connect(self._remember_thinking)
        panel.form.generate_requested.connect(self._log_started)
        panel.setObjectName("compose-panel")
        panel.insert_requested.connect(self.insert)
        panel.save_requested.connect(self.save)
        panel.run_finished.connect(self._run_finished)
        host = ComposeHost(panel, w.tr_)
        host.manager_button.clicked.connect(lambda _on=False: self.models.open_manager())
        self.panel, self.host = panel, host
        self.follow_editor()
        w.add_side_panel("compose", host, w.tr_("作诗", "Compose"), menu=False)
        self._show_backend_status()
        self._show_model()
        return panel

    def follow_editor(self) -> None:
        """体裁 and 韵部 follow the poem in the editor: its pinned form, else the form and
        (level-tone) rhyme group the checker found."""
        panel = self.panel
        if panel is None:
            return
        pane = self.w.pane
        target = pane.ci_target()
        if target is not None:  # 词 mode: a 词 of the editor's 体 (or its tune's 正体)
            chosen = target.form or (target.tune.forms[0] if target.tune is not None else None)
            if chosen is not None:
                panel.form.select_ci(chosen, target.checker.book_kind)
            return
        analysis = pane.analysis()
        form = pane.pinned_form() or (analysis.form if analysis is not None else None)
        if form is not None:
            panel.form.select_form(form)
        panel.form.select_book(pane.book_kind())
        group = analysis.rhyme_group if analysis is not None else None
        if group is not None and group.is_ping:
            panel.form.select_group(group.id)

    def show(self) -> ComposePanel:
        """Show the compose panel (building it on first use) and focus its theme field."""
        panel = self.ensure_panel()
        if not panel.running:
            self.follow_editor()
        self.w.show_side_panel("compose")
        panel.form.theme.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return panel

    def _show_model(self) -> None:
        host = self.host
        if host is None:
            return
        tr = self.w.tr_
        if self.models.is_remote and self.models.remote_backend() is not None:
            remote = self.models.remote_backend()
            assert remote is not None
            general = self.models.prompt_style() == "general"
            text = tr(f"远程服务器：{remote.model_id}", f"Remote server: {remote.model_id}")
            if general:
                text += tr("（通用模型，非格律诗专用）", " (general model, not the poetry model)")
            host.show_model(text, warn=general)
            return
        model = self.models.current()
        if model is None:
            host.show_model(tr("模型：未选择", "Model: none chosen"), warn=True)
            return
        text = tr(f"模型：{model.name}", f"Model: {model.name}")
        text += tr(f"（{model.kind_label('zh')}）", f" ({model.kind_label('en')})")
        if not model.exists:
            text += tr(" — 文件不存在", " — the file is missing")
        host.show_model(text, warn=model.kind != "poetry" or not model.exists)

    def _show_backend_status(self) -> None:
        panel = self.panel
        if panel is None:
            return
        if self.models.is_remote:
            remote = self.models.remote_backend()
            if remote is not None:
                panel.status.show_remote(remote.model_id, remote.endpoint.display)
                return
        client = self.models.local_backend().client
        panel.status.set_state(client.state)
        panel.status.set_loaded(client.loaded)

    def _apply_backend(self) -> None:
        panel = self.panel
        if panel is None:
            return
        if panel.running:
            self._pending_backend = True  # switched when this run ends
            return
        from app.compose.prompt import PromptStyle

        self._pending_backend = False
        panel.set_backend(
            self.models.backend(),
            style=PromptStyle(self.models.prompt_style()),
            think_budget=self.models.default_think_budget(),
        )
        self._show_backend_status()
        self._show_model()

    def _remember_thinking(self, _request: object) -> None:
        panel = self.panel
        if panel is not None:
            self.models.save_thinking(*panel.form.thinking_choice())

    def _log_started(self, request: object) -> None:
        """A generation run begins: what was asked (never the poet's own words)."""
        panel = self.panel
        form = getattr(request, "form", None)
        self.w.log.event(
            "generation_started",
            form=getattr(form, "value", None) or "词",
            rhyme_group=getattr(request, "rhyme_group", None),
            candidates=getattr(request, "candidates", 1),
            strict=bool(panel is not None and panel.form.strict_metre),
            model=self.models.backend().model_id,
        )

    def _run_finished(self) -> None:
        panel = self.panel
        if panel is not None and panel.runs:
            runs = panel.runs
            self.w.log.event(
                "generation_finished",
                model=runs[0].model_id,
                candidates=len(runs),
                poems=sum(1 for r in runs if r.poem() is not None),
                tokens=[r.stats.completion_tokens if r.stats else r.n_tokens for r in runs],
                finish=[
                    r.stats.finish_reason if r.stats else ("failed" if r.failure else "")
                    for r in runs
                ],
                failures=[type(r.failure).__name__ for r in runs if r.failure is not None],
            )
        if self._pending_backend:
            self._apply_backend()

    def _backend_changed(self, _kind: str) -> None:
        self._apply_backend()

    def _model_changed(self, _model: CurrentModel | None) -> None:
        self._apply_backend()

    def _engine_state(self, state: str) -> None:
        panel = self.panel
        if state == "crashed" and panel is not None and not panel.running:
            crash = self.models.local_backend().client.last_crash
            if crash is not None:  # died while idle: say so, with Restart
                panel.status.show_crash(crash)
        self._show_model()

    def _load_started(self, _model: object) -> None:
        panel = self.ensure_panel()
        self.w.show_side_panel("compose")
        panel.status.clear_problem()

    def _loaded(self, info: object) -> None:
        if self.panel is not None:
            self.panel.status.set_loaded(info)  # type: ignore[arg-type]
        self._show_model()

    def _load_failed(self, text: str) -> None:
        if self.panel is not None:
            self.panel.status.show_error(text)
        self._show_model()

    # ------------------------------------------------------------------ poems
    def insert(self, poem: ComposedPoem) -> None:
        """Open ``poem`` as a new poem in the editor (the current one is kept: module notes)."""
        w = self.w
        before = w.current_document()
        before_data = w.current_data()
        had_text = (
            bool(before_data.text.strip() or before_data.title.strip())
            or before.poem_id is not None
        )
        w.new_document(generated_data(poem))
        w.log.event("generated_inserted", model=poem.model_id, chars=len(poem.text))
        if not had_text:
            return
        tr = w.tr_
        name = before_data.title.strip() or tr("无题", "untitled")
        w.notices.show_notice(
            "inserted",
            tr(
                f"生成的诗已在新诗中打开；《{name}》的改动已自动保存为草稿。",
                f"The generated poem opened as a new poem; “{name}” was kept (its edits "
                "are in a draft).",
            ),
            actions=[
                (
                    tr("回到刚才的诗", "Back to that poem"),
                    lambda: self._back_to(before, before_data),
                )
            ],
            document=w.current_document(),  # goes as soon as the generated poem is left
        )

    def _back_to(self, doc: PoemDocument, data: PoemData) -> None:
        w = self.w
        if doc.poem_id is not None:
            w.open_poem(doc.poem_id)
            return
        w.leave_document()
        w.load_document(doc, data)

    def save(self, poem: ComposedPoem) -> Any:
        """Keep ``poem`` in the library without opening it; returns the Future."""
        w = self.w
        future = w.store_poem(generated_data(poem))
        tr = w.tr_
        title = poem.title or poem.theme or tr("无题", "untitled")
        w.show_status(tr(f"已存入诗库：《{title}》", f"Saved to the library: “{title}”"), 6000)
        return future

    # ------------------------------------------------------------------ provenance
    def _document_loaded(self, doc: PoemDocument) -> None:
        data = doc.record.to_data() if doc.record is not None else doc.saved
        w = self.w
        if self.panel is not None and not self.panel.running and data.origin != "generated":
            self.follow_editor()
        if data.origin != "generated":
            if w.side_panel("generated") is not None:
                w.remove_side_panel("generated")
            return
        if self.info is None:
            self.info = GeneratedInfoPanel(w.tr_)
        self.info.show_data(data)
        if w.side_panel("generated") is None:
            w.add_side_panel(
                "generated", self.info, w.tr_("生成记录", "How it was written"), menu=False
            )

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop a run in progress and wait for the panel's worker threads."""
        panel = self.panel
        if panel is None:
            return
        if panel.running:
            panel.stop()
        for worker in panel.findChildren(GeneratorWorker):
            worker.quit()
        self.models.shutdown()  # ends any open stream at once
        for worker in panel.findChildren(GeneratorWorker):
            worker.wait(10_000)
