"""The popup for one character: pin its reading, pick a replacement or a rhyme character.

Opened by Ctrl+click, F2 or Ctrl+Space (see the pane). Keyboard: Tab between the
lists, arrows inside them, Enter chooses, Esc closes. Choosing emits ``chosen``
(the pane replaces the character as one undo step); a pin button emits
``pin_chosen`` with PING, ZE or None (back to automatic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.prosody.forms import PING, ZE
from app.prosody.groups import RhymeGroup
from app.prosody.suggest import Suggestion
from app.ui.i18n import Tr

_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class PopupContent:
    """Everything the popup shows for one character."""

    char: str
    heading: str  # rich text: the character, its tone, its readings
    suggestions: Sequence[Suggestion]
    rhyme_group: RhymeGroup | None  # set at a rhyme position
    rhyme_chars: Sequence[str]
    can_pin: bool  # a polyphone (or already pinned)
    pin: int | None  # PING, ZE, or None (automatic)


def _char_list(parent: QWidget, name: str) -> QListWidget:
    lst = QListWidget(parent)
    lst.setObjectName(name)
    lst.setViewMode(QListView.ViewMode.IconMode)
    lst.setFlow(QListView.Flow.LeftToRight)
    lst.setWrapping(True)
    lst.setResizeMode(QListView.ResizeMode.Adjust)
    lst.setMovement(QListView.Movement.Static)
    lst.setUniformItemSizes(True)
    lst.setSpacing(0)
    lst.setWordWrap(False)
    return lst


class CharPopup(QFrame):
    chosen = Signal(str)
    pin_chosen = Signal(object)  # PING / ZE / None

    def __init__(self, tr: Tr, content: PopupContent, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("charPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._tr = tr
        self.content = content
        lang = "en" if tr.is_en else "zh"
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 8, 8, 8)
        box.setSpacing(6)

        self.heading = QLabel(content.heading, self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        box.addWidget(self.heading)

        self.pin_buttons: dict[str, QToolButton] = {}
        if content.can_pin:
            row = QHBoxLayout()
            row.addWidget(QLabel(tr("定音：", "Reading:"), self))
            group = QButtonGroup(self)
            group.setExclusive(True)
            for name, label, code in (
                ("ping", tr("平", "level"), PING),
                ("ze", tr("仄", "oblique"), ZE),
                ("auto", tr("自动", "auto"), None),
            ):
                button = QToolButton(self)
                button.setText(label)
                button.setCheckable(True)
                button.setChecked(content.pin == code)
                button.clicked.connect(lambda _=False, c=code: self._pin(c))
                group.addButton(button)
                row.addWidget(button)
                self.pin_buttons[name] = button
            row.addStretch(1)
            box.addLayout(row)

        box.addWidget(QLabel(tr("替换建议：", "Suggestions:"), self))
        self.suggestion_list = _char_list(self, "suggestions")
        for s in content.suggestions:
            item = QListWidgetItem(s.label(lang))
            item.setData(_ROLE, s.char)
            if s.context:
                item.setToolTip(
                    tr(
                        f"唐诗中与前后字连用 {s.context} 次",
                        f"next to its neighbours {s.context} times in Tang verse",
                    )
                )
            self.suggestion_list.addItem(item)
        if not content.suggestions:
            empty = QListWidgetItem(tr("（此处无建议）", "(no suggestions here)"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.suggestion_list.addItem(empty)
        self._fit(self.suggestion_list, max(1, len(content.suggestions)))
        box.addWidget(self.suggestion_list)

        self.rhyme_list: QListWidget | None = None
        if content.rhyme_group is not None:
            g = content.rhyme_group
            box.addWidget(QLabel(tr(f"韵部 {g.name}：", f"Rhyme group {g.name}:"), self))
            self.rhyme_list = _char_list(self, "rhymeChars")
            for ch in content.rhyme_chars:
                item = QListWidgetItem(ch)
                item.setData(_ROLE, ch)
                self.rhyme_list.addItem(item)
            self._fit(self.rhyme_list, len(content.rhyme_chars), rows=6)
            box.addWidget(self.rhyme_list)

        for lst in (self.suggestion_list, self.rhyme_list):
            if lst is not None:
                lst.itemActivated.connect(self._on_item)
                lst.itemClicked.connect(self._on_item)
        if content.suggestions:
            self.suggestion_list.setCurrentRow(0)

    def _fit(self, lst: QListWidget, n: int, rows: int = 3, per_row: int = 8) -> None:
        """Lay the items out on a uniform grid, ``per_row`` across, and make the list tall
        enough to show up to ``rows`` rows at once (the rest scroll)."""
        fm = lst.fontMetrics()
        labels = [lst.item(i).text() for i in range(lst.count())] or ["字"]
        cell = QSize(
            max(fm.horizontalAdvance(t) for t in labels) + 14,
            fm.height() + 10,
        )
        lst.setGridSize(cell)
        across = min(per_row, max(1, n))
        needed = -(-max(1, n) // across)
        shown = min(rows, needed)
        frame = 2 * lst.frameWidth() + 4
        lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll = 0
        if needed > shown:  # the rest scrolls: the bar's room is kept out of the grid's
            lst.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
            scroll = max(
                lst.verticalScrollBar().sizeHint().width(),
                lst.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent),
            )
        else:
            lst.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lst.setFixedWidth(across * cell.width() + frame + scroll)
        lst.setFixedHeight(shown * cell.height() + frame)

    # ------------------------------------------------------------------ actions
    def choose(self, char: str) -> None:
        """Replace the character with ``char`` (also what a click or Enter does)."""
        self.chosen.emit(char)
        self.close()

    def _on_item(self, item: QListWidgetItem) -> None:
        data = item.data(_ROLE)
        if isinstance(data, str) and data:
            self.choose(data)

    def _pin(self, code: int | None) -> None:
        self.pin_chosen.emit(code)
        self.close()

    def suggestion_chars(self) -> list[str]:
        return [
            str(self.suggestion_list.item(i).data(_ROLE))
            for i in range(self.suggestion_list.count())
            if self.suggestion_list.item(i).data(_ROLE)
        ]

    def show_at(self, global_pos: QPoint) -> None:
        """Show below-left of ``global_pos``, kept on the screen."""
        self.adjustSize()
        for lst in (self.suggestion_list, self.rhyme_list):
            if lst is not None:
                lst.doItemsLayout()  # at its final width now, not at a later paint
        size = self.sizeHint()
        screen = QGuiApplication.screenAt(global_pos) or QGuiApplication.primaryScreen()
        x, y = global_pos.x(), global_pos.y()
        if screen is not None:
            area = screen.availableGeometry()
            x = max(area.left(), min(x, area.right() - size.width()))
            if y + size.height() > area.bottom():
                y = max(area.top(), y - size.height() - 40)
        self.move(x, y)
        self.show()
        (self.suggestion_list if self.content.suggestions else self).setFocus()
