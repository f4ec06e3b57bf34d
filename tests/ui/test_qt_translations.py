"""Qt's own buttons and dialogs speak the interface language (Qt's catalogs are loaded).

Installing a translator changes a whole application, so each language is tried in a
fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtWidgets import (QApplication, QDialogButtonBox, QFileDialog, QLineEdit,
                                   QPushButton, QWizard)
    app = QApplication([])
    from app.ui.qt_translations import install_qt_translations
    loaded = install_qt_translations(app, sys.argv[1])
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel
                           | QDialogButtonBox.StandardButton.Close)
    buttons = [b.text() for b in box.buttons()]
    wizard = QWizard()
    wizard_buttons = [wizard.buttonText(w) for w in (QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.NextButton, QWizard.WizardButton.FinishButton)]
    dialog = QFileDialog()
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.show()
    app.processEvents()
    file_buttons = [b.text() for b in dialog.findChildren(QPushButton) if b.isVisible()]
    edit = QLineEdit()
    menu = edit.createStandardContextMenu()
    print(json.dumps({"loaded": loaded, "buttons": buttons, "wizard": wizard_buttons,
                      "file_dialog": file_buttons,
                      "menu": [a.text() for a in menu.actions() if a.text()]},
                     ensure_ascii=False))
    """
)


def qt_texts(language: str) -> dict[str, list[str]]:
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, language], capture_output=True, text=True, env=env,
        timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    value = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return value


def test_the_chinese_interface_has_qts_own_texts_in_chinese() -> None:
    texts = qt_texts("zh")
    assert "qtbase_zh_CN.qm" in texts["loaded"]
    joined = " ".join(texts["buttons"])
    assert "确定" in joined and "取消" in joined and "关闭" in joined
    assert "OK" not in joined and "Cancel" not in joined
    assert any("上一步" in t for t in texts["wizard"]) and any("完成" in t for t in texts["wizard"])
    assert any("取消" in t for t in texts["file_dialog"])
    assert any("复制" in t for t in texts["menu"]) and any("粘贴" in t for t in texts["menu"])


@pytest.mark.parametrize("language", ["en"])
def test_the_english_interface_keeps_qts_english(language: str) -> None:
    texts = qt_texts(language)
    assert texts["loaded"] == []
    assert "OK" in texts["buttons"] and "Cancel" in texts["buttons"]
