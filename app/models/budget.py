"""The default thinking budget: how many ``<think>`` tokens a model may use before the
engine closes its thinking and the answer begins.

The poet can set the budget; this is the default when they leave it on "automatic". It
grows with the model's size: a small model's thinking turns in circles early (Qwen3-0.6B
repeats itself after a few hundred tokens of a poem's planning), a large one uses the
room, and each step keeps one poem's thinking to a minute or two at the speed that size
typically runs. Catalog entries may name their own (``think_budget`` in models.toml);
for a GGUF file the user brings, the parameter count from its header decides.
"""

from __future__ import annotations

import math

from app.models.catalog import CatalogEntry
from app.models.gguf.info import GGUFInfo

__all__ = [
    "BUDGET_STEPS",
    "budget_for_file",
    "budget_for_params",
    "entry_think_budget",
    "gguf_params",
]

# (up to this many parameters, budget)
BUDGET_STEPS: tuple[tuple[float, int], ...] = (
    (1.0e9, 512),  # 0.6B
    (3.0e9, 768),  # 1.5–1.7B
    (6.0e9, 1024),  # 4B
    (11.0e9, 1536),  # 7–8B
    (math.inf, 2048),  # 14B and larger (QPM-1K-32B-R1)
)
# bits per weight of the usual llama.cpp quantizations, to count parameters from a file size
_BITS = {"Q2_K": 3.0, "Q3_K_S": 3.5, "Q3_K_M": 3.9, "Q3_K_L": 4.3, "Q4_0": 4.5, "Q4_K_S": 4.6,
         "Q4_K_M": 4.85, "Q5_0": 5.5, "Q5_K_S": 5.55, "Q5_K_M": 5.7, "Q6_K": 6.6, "Q8_0": 8.5,
         "F16": 16.0, "BF16": 16.0, "F32": 32.0}  # fmt: skip


def budget_for_params(n_params: float) -> int:
    """The default budget for a model of ``n_params`` parameters."""
    for limit, budget in BUDGET_STEPS:
        if n_params <= limit:
            return budget
    return BUDGET_STEPS[-1][1]


def budget_for_file(size_bytes: int, quant: str = "") -> int:
    """The default budget for a model file of ``size_bytes`` in quantization ``quant``
    (parameters ≈ size × 8 ÷ bits per weight; Q4_K_M's 4.85 when unknown)."""
    bits = _BITS.get(quant.upper(), 4.85)
    return budget_for_params(size_bytes * 8 / bits)


def entry_think_budget(entry: CatalogEntry) -> int:
    """The entry's own ``think_budget``, else one from its size and quantization."""
    if entry.think_budget is not None:
        return entry.think_budget
    return budget_for_file(entry.size_bytes, entry.quant)


def gguf_params(info: GGUFInfo) -> int:
    """The parameter count of a GGUF model: every tensor's element count."""
    total = 0
    for tensor in info.tensors:
        count = 1
        for dim in tensor.shape:
            count *= dim
        total += count
    return total
