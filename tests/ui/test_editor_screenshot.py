"""Screenshots of the pane and the legend: written to PNG, not blank, in both palettes."""

from __future__ import annotations

from app.ui.editor import ToneLegend
from app.ui.editor.palette import DARK, LIGHT
from app.ui.i18n import Tr
from tests.support.editor_pane import (
    HUANGHELOU,
    JINGYESI,
    count_colour,
    save_screenshot,
)


def test_screenshot_of_the_pane_is_not_blank(qtbot, pane, tmp_path):
    pane.set_text(JINGYESI + "\n\n" + HUANGHELOU)
    pane.analyze_now()
    qtbot.waitExposed(pane)
    path = tmp_path / "editor.png"
    image = save_screenshot(pane, path)
    assert path.stat().st_size > 1000
    assert image.width() == pane.width() and image.height() == pane.height()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}  # fmt: skip
    assert len(colours) > 20
    # the tone colours really reach the screen
    assert count_colour(image, LIGHT.ping) > 20
    assert count_colour(image, LIGHT.ze) > 20


def test_dark_screenshot_uses_the_dark_palette(qtbot, pane, tmp_path):
    pane.set_text(JINGYESI)
    pane.set_dark(True)
    pane.editor.setStyleSheet("QPlainTextEdit { background: #1e1e1e; color: #dddddd; }")
    pane.analyze_now()
    qtbot.waitExposed(pane)
    image = save_screenshot(pane, tmp_path / "editor-dark.png")
    assert count_colour(image, DARK.ping) > 20
    assert count_colour(image, LIGHT.ping, tolerance=10) < count_colour(image, DARK.ping)


def test_legend_draws_every_entry_with_the_editor_formats(qtbot, tmp_path):
    legend = ToneLegend(Tr("zh"))
    qtbot.addWidget(legend)
    legend.resize(legend.sizeHint())
    legend.show()
    qtbot.waitExposed(legend)
    image = save_screenshot(legend, tmp_path / "legend.png")
    labels = [e.text for e in legend.entries]
    assert labels[:5] == ["平", "仄", "入声", "两读", "推测"]
    assert count_colour(image, LIGHT.ping) > 3 and count_colour(image, LIGHT.ru) > 3
    ze = legend.entry_format(legend.entries[1])
    assert ze is not None and ze.foreground().color().name().upper() == LIGHT.ze
    legend.set_dark(True)
    ze = legend.entry_format(legend.entries[1])
    assert ze is not None
    assert ze.foreground().color().name().upper() == DARK.ze
    english = ToneLegend(Tr("en"))
    qtbot.addWidget(english)
    assert [e.text for e in english.entries][:3] == ["level", "oblique", "entering"]
