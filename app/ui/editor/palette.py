"""The editor's colours: a colour-blind-safe palette (Okabe–Ito based) in light and dark.

Hue carries the tone class, but never alone: every class also has a weight or
style of its own (see :mod:`app.ui.editor.formats`), so the painting reads in
greyscale and under deuteranopia too.

========  ===============  ============  =====================================
class     light            dark          also shown by
========  ===============  ============  =====================================
平        #0072B2 blue     #56B4E9       regular weight
仄        #D55E00 vermil.  #F0844A       bold
入声      #A8508A purple   #E595C6       bold + a line above (overline)
两读      #007D5A green    #3CC99A       italic
推测/未知 #6E6E6E grey     #A8A8A8       hatched background
========  ===============  ============  =====================================

Findings are underlines: errors a wavy red (#D7191C / #FF5A5A), warnings a wavy
amber (#E69F00 / #F0E442), notes a dotted sky blue, hints a dotted grey.
The text colours are Okabe–Ito hues darkened (light) or lightened (dark) until
they reach a contrast of at least 3.8:1 against the background, enough for the
large type a poem is set in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TonePalette:
    """Hex colours for one variant. Plain strings: the palette itself does not need Qt."""

    name: str
    dark: bool
    ping: str  # 平
    ze: str  # 仄 (上/去)
    ru: str  # 入声
    poly: str  # 平仄两读 (polyphone)
    unknown: str  # no reading, or a guessed one
    hatch: str  # the hatched background of guessed/unknown characters
    error: str  # wavy underline
    warning: str  # wavy underline
    note: str  # dotted underline
    hint: str  # dotted underline
    rhyme: str  # the box around a rhyme position (in group, borrowed, unknown)
    rhyme_out: str  # the box around a rhyme character out of the group
    free: str  # ⊙ in the template row
    muted: str  # secondary text (template area background text, markers)
    template_bg: str  # the template column's background


LIGHT = TonePalette(
    name="light",
    dark=False,
    ping="#0072B2",
    ze="#D55E00",
    ru="#A8508A",
    poly="#007D5A",
    unknown="#6E6E6E",
    hatch="#9A9A9A",
    error="#D7191C",
    warning="#E69F00",
    note="#3A8FC7",
    hint="#8C8C8C",
    rhyme="#4D4D4D",
    rhyme_out="#D7191C",
    free="#9A9A9A",
    muted="#6E6E6E",
    template_bg="#F3F1EC",
)

DARK = TonePalette(
    name="dark",
    dark=True,
    ping="#56B4E9",
    ze="#F0844A",
    ru="#E595C6",
    poly="#3CC99A",
    unknown="#A8A8A8",
    hatch="#6A6A6A",
    error="#FF5A5A",
    warning="#F0E442",
    note="#7CC3EE",
    hint="#8C8C8C",
    rhyme="#C8C8C8",
    rhyme_out="#FF5A5A",
    free="#7A7A7A",
    muted="#A0A0A0",
    template_bg="#26282B",
)


def palette_for(dark: bool) -> TonePalette:
    return DARK if dark else LIGHT
