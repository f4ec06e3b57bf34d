"""The settings dialog: shows the settings, applies live what it can, persists everything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.prosody.rhymebook import RhymeBook
from app.settings import Settings, SettingsStore
from app.ui.fonts import FontCheck, check_fonts
from app.ui.i18n import Tr
from app.ui.settings_dialog import SettingsDialog, restart_fields
from tests.support.shell_window import (
    DENG_GUANQUE,
    events,
    open_window,
    settings_on_disk,
)


@pytest.fixture(scope="module")
def font_check(qapp: QApplication) -> FontCheck:
    return check_fonts()


def test_the_dialog_shows_and_returns_settings(qtbot: QtBot) -> None:
    start = Settings()
    start = replace(
        start,
        ui=replace(start.ui, theme="dark"),
        editor=replace(start.editor, autosave_seconds=3.5, analysis_delay_ms=90),
        checker=replace(start.checker, strict_135=True),
        window_state="AAAA",
    )
    dialog = SettingsDialog(start, Tr("zh"), poem_families=["LXGW WenKai", "Noto Serif CJK SC"])
    qtbot.addWidget(dialog)
    assert dialog.theme_combo.currentData() == "dark"
    assert dialog.autosave_spin.value() == 3.5
    assert dialog.analysis_delay_spin.value() == 90
    assert dialog.checker_boxes["strict_135"].isChecked()
    assert dialog.settings() == start  # nothing changed: the same settings back

    dialog.poem_family_combo.setCurrentIndex(dialog.poem_family_combo.findData("LXGW WenKai"))
    dialog.poem_size_spin.setValue(26)
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.checker_boxes["mao_yun"].setChecked(True)
    dialog.data_dir_edit.setText("/tmp/elsewhere")
    new = dialog.settings()
    assert new.fonts.poem_family == "LXGW WenKai" and new.fonts.poem_size == 26
    assert new.ui.language == "en" and new.checker.mao_yun and new.checker.strict_135
    assert new.window_state == "AAAA"  # fields the dialog does not show are kept
    assert restart_fields(start, new) == ["language", "data_dir"]
    with qtbot.waitSignal(dialog.applied, timeout=1_000) as applied:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert applied.args[0] == new


def test_the_dialog_lists_a_saved_font_even_if_missing(qtbot: QtBot) -> None:
    start = replace(Settings(), fonts=replace(Settings().fonts, poem_family="Some Gone Font"))
    dialog = SettingsDialog(start, Tr("en"), poem_families=["LXGW WenKai"])
    qtbot.addWidget(dialog)
    assert dialog.poem_family_combo.currentData() == "Some Gone Font"
    assert dialog.settings().fonts.poem_family == "Some Gone Font"
    assert dialog.windowTitle() == "Settings"


def test_settings_apply_live_and_persist(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, font_check: FontCheck
) -> None:
    window = open_window(qtbot, tmp_path, book, font_check=font_check)
    window.pane.set_text(DENG_GUANQUE)
    lenient = len(window.pane.analyze_now().findings)

    dialog = window.support.open_settings()
    dialog.checker_boxes["strict_135"].setChecked(True)
    dialog.autosave_spin.setValue(7.5)
    dialog.backup_spin.setValue(12)
    dialog.poem_size_spin.setValue(30)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
        # live: checker strictness, autosave interval, poem font, theme
        assert len(window.pane.analyze_now().findings) > lenient
        assert window.autosaver.interval_ms() == 7500
        assert window.backups.every_s == 720
        assert window.pane.editor.font().pointSize() == 30
        assert window.dark
        # after restart: the language, and the notice says so
        assert "重新启动" in window.notices.texts()["restart"]
        on_disk = settings_on_disk(tmp_path)
        assert on_disk["checker"]["strict_135"] is True
        assert on_disk["editor"]["autosave_seconds"] == 7.5
        assert on_disk["library"]["backup_minutes"] == 12
        assert on_disk["fonts"]["poem_size"] == 30
        assert on_disk["ui"] == {"language": "en", "theme": "dark"}
        assert events(window, "settings_saved")[-1]["restart"] == ["language"]
        loaded = SettingsStore(AppPaths.under(tmp_path).settings_file).load()
        assert loaded.notices == () and loaded.settings.checker.strict_135
    finally:
        window.support.set_theme("light", save=False)
        dialog.reject()


def test_the_poem_font_follows_the_settings(
    qtbot: QtBot, tmp_path: Path, book: RhymeBook, font_check: FontCheck
) -> None:
    if not font_check.han_families:
        import pytest

        pytest.skip("no font that draws Han characters is installed")
    family = font_check.han_families[-1]
    start = replace(Settings(), fonts=replace(Settings().fonts, poem_family=family, poem_size=24))
    window = open_window(qtbot, tmp_path, book, font_check=font_check, settings=start)
    font = window.pane.editor.font()
    assert font.family() == family and font.pointSize() == 24
