"""词: the 词谱 table, the 词 checker (体 by shape, tones, 词林正韵 rhymes, 叠句)."""

from app.prosody.ci.analysis import CiAnalysis, FormChoice, RhymeGroupResult
from app.prosody.ci.checker import CiChecker, CiSettings, CiTarget
from app.prosody.ci.table import (
    CiForm,
    CipuError,
    CipuTable,
    Segment,
    Tune,
    load_installed,
    write_table,
)

__all__ = [
    "CiAnalysis",
    "CiChecker",
    "CiForm",
    "CiSettings",
    "CiTarget",
    "CipuError",
    "CipuTable",
    "FormChoice",
    "RhymeGroupResult",
    "Segment",
    "Tune",
    "load_installed",
    "write_table",
]
