"""The menu bar (文件 编辑 视图 诗 模型 帮助) and the actions with their shortcuts.

Actions are made here and connected by the window; other features add their
own items through ``MainWindow.menu(key)`` (the model pipeline's panels do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from app.prosody.forms import Form
from app.ui.i18n import Tr

Key = QKeySequence.StandardKey


@dataclass
class WindowActions:
    menus: dict[str, QMenu] = field(default_factory=dict)
    new: QAction = field(default_factory=QAction)
    open_library: QAction = field(default_factory=QAction)
    save: QAction = field(default_factory=QAction)
    save_as_new: QAction = field(default_factory=QAction)
    revisions: QAction = field(default_factory=QAction)
    revert: QAction = field(default_factory=QAction)
    delete_poem: QAction = field(default_factory=QAction)
    backup_now: QAction = field(default_factory=QAction)
    drafts_menu: QMenu | None = None
    settings: QAction = field(default_factory=QAction)
    quit: QAction = field(default_factory=QAction)
    undo: QAction = field(default_factory=QAction)
    redo: QAction = field(default_factory=QAction)
    cut: QAction = field(default_factory=QAction)
    copy: QAction = field(default_factory=QAction)
    paste: QAction = field(default_factory=QAction)
    select_all: QAction = field(default_factory=QAction)
    find: QAction = field(default_factory=QAction)
    toggle_library: QAction | None = None
    toggle_findings: QAction | None = None
    toggle_side: QAction | None = None
    themes: dict[str, QAction] = field(default_factory=dict)
    check_now: QAction = field(default_factory=QAction)
    forms: dict[str, QAction] = field(default_factory=dict)  # "" = automatic
    to_traditional: QAction = field(default_factory=QAction)
    to_simplified: QAction = field(default_factory=QAction)
    edit_info: QAction = field(default_factory=QAction)
    fonts_help: QAction = field(default_factory=QAction)
    open_data_folder: QAction = field(default_factory=QAction)
    open_log: QAction = field(default_factory=QAction)
    about: QAction = field(default_factory=QAction)


def _action(
    window: QMainWindow, text: str, shortcut: QKeySequence | str | Key | None = None, *, name: str
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


def build_menus(
    window: QMainWindow,
    tr: Tr,
    *,
    toggle_library: QAction,
    toggle_findings: QAction,
    toggle_side: QAction,
) -> WindowActions:
    """Make the menus on ``window``'s menu bar; the window connects the actions."""
    a = WindowActions()
    bar = window.menuBar()

    def menu(key: str, zh: str, en: str) -> QMenu:
        m = bar.addMenu(tr(zh, en))
        m.setObjectName(f"menu-{key}")
        a.menus[key] = m
        return m

    # 文件
    file = menu("file", "文件(&F)", "&File")
    a.new = _action(window, tr("新建", "New poem"), Key.New, name="new")
    a.open_library = _action(window, tr("打开诗库", "Open library"), Key.Open, name="open_library")
    a.save = _action(window, tr("保存", "Save"), Key.Save, name="save")
    a.save.setToolTip(
        tr("保存（每次保存都留下一个修订版本）", "Save (every save keeps a revision)")
    )
    a.save_as_new = _action(
        window, tr("另存为新诗", "Save as a new poem"), "Ctrl+Shift+S", name="save_as_new"
    )
    a.revisions = _action(window, tr("修订历史……", "Revisions…"), "Ctrl+Shift+H", name="revisions")
    a.revert = _action(window, tr("还原到上次保存", "Revert to saved"), name="revert")
    a.delete_poem = _action(
        window, tr("把这首诗移到回收站", "Move this poem to the trash"), name="delete_poem"
    )
    a.settings = _action(window, tr("设置……", "Settings…"), "Ctrl+,", name="settings")
    a.quit = _action(window, tr("退出", "Quit"), Key.Quit, name="quit")
    if a.quit.shortcut().isEmpty():
        a.quit.setShortcut(QKeySequence("Ctrl+Q"))
    for action in (a.new, a.open_library, a.save, a.save_as_new, a.revisions, a.revert):
        file.addAction(action)
    file.addAction(a.delete_poem)
    a.backup_now = _action(window, tr("立即备份诗库", "Back up the library now"), name="backup_now")
    a.drafts_menu = file.addMenu(tr("恢复的草稿", "Recovered drafts"))
    a.drafts_menu.setObjectName("menu-drafts")
    a.drafts_menu.setEnabled(False)
    file.addSeparator()
    file.addAction(a.backup_now)
    file.addAction(a.settings)
    file.addSeparator()
    file.addAction(a.quit)

    # 编辑
    edit = menu("edit", "编辑(&E)", "&Edit")
    a.undo = _action(window, tr("撤销", "Undo"), Key.Undo, name="undo")
    a.redo = _action(window, tr("重做", "Redo"), Key.Redo, name="redo")
    a.cut = _action(window, tr("剪切", "Cut"), Key.Cut, name="cut")
    a.copy = _action(window, tr("复制", "Copy"), Key.Copy, name="copy")
    a.paste = _action(window, tr("粘贴", "Paste"), Key.Paste, name="paste")
    a.select_all = _action(window, tr("全选", "Select all"), Key.SelectAll, name="select_all")
    a.find = _action(window, tr("在诗库中查找", "Find in library"), Key.Find, name="find")
    for action in (a.undo, a.redo):
        edit.addAction(action)
    edit.addSeparator()
    for action in (a.cut, a.copy, a.paste, a.select_all):
        edit.addAction(action)
    edit.addSeparator()
    edit.addAction(a.find)

    # 视图
    view = menu("view", "视图(&V)", "&View")
    a.toggle_library, a.toggle_findings, a.toggle_side = (
        toggle_library,
        toggle_findings,
        toggle_side,
    )
    toggle_library.setShortcut(QKeySequence("Ctrl+1"))
    toggle_findings.setShortcut(QKeySequence("Ctrl+2"))
    toggle_side.setShortcut(QKeySequence("Ctrl+3"))
    for action in (toggle_library, toggle_findings, toggle_side):
        view.addAction(action)
    view.addSeparator()
    theme_menu = view.addMenu(tr("主题", "Theme"))
    themes = QActionGroup(window)
    for key, zh, en in (
        ("system", "跟随系统", "Follow the system"),
        ("light", "浅色", "Light"),
        ("dark", "深色", "Dark"),
    ):
        action = _action(window, tr(zh, en), name=f"theme_{key}")
        action.setCheckable(True)
        action.setData(key)
        themes.addAction(action)
        theme_menu.addAction(action)
        a.themes[key] = action

    # 诗
    poem = menu("poem", "诗(&P)", "&Poem")
    a.check_now = _action(window, tr("立即检查", "Check now"), "F5", name="check_now")
    a.edit_info = _action(
        window, tr("编辑题目与信息", "Edit title and details"), "F4", name="edit_info"
    )
    poem.addAction(a.check_now)
    form_menu = poem.addMenu(tr("锁定诗体", "Pin the form"))
    forms = QActionGroup(window)
    auto = _action(window, tr("自动判断", "Automatic"), name="form_auto")
    auto.setCheckable(True)
    auto.setChecked(True)
    auto.setData("")
    forms.addAction(auto)
    form_menu.addAction(auto)
    a.forms[""] = auto
    for form in Form:
        action = _action(window, tr(form.value, form.en), name=f"form_{form.name.lower()}")
        action.setCheckable(True)
        action.setData(form.value)
        forms.addAction(action)
        form_menu.addAction(action)
        a.forms[form.value] = action
    poem.addSeparator()
    a.to_traditional = _action(window, tr("转为繁体", "Convert to traditional"), name="to_trad")
    a.to_simplified = _action(window, tr("转为简体", "Convert to simplified"), name="to_simp")
    poem.addAction(a.to_traditional)
    poem.addAction(a.to_simplified)
    poem.addSeparator()
    poem.addAction(a.edit_info)
    poem.addAction(a.revisions)

    # 模型 (the model pipeline's panels add their entries)
    menu("model", "模型(&M)", "&Model")

    # 帮助
    help_menu = menu("help", "帮助(&H)", "&Help")
    a.fonts_help = _action(window, tr("字体检查", "Font check"), name="fonts_help")
    a.open_data_folder = _action(window, tr("打开数据文件夹", "Open data folder"), name="data_dir")
    a.open_log = _action(window, tr("打开日志文件夹", "Open log folder"), name="open_log")
    a.about = _action(window, tr("关于诗笺", "About 诗笺"), name="about")
    for action in (a.fonts_help, a.open_data_folder, a.open_log):
        help_menu.addAction(action)
    help_menu.addSeparator()
    help_menu.addAction(a.about)
    return a
