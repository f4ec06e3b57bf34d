"""Which catalog models this machine can run, where, how fast — and which one to pick.

For each entry :func:`assess` answers the question the model manager shows: does it run
**fully on the GPU**, **partly** (some layers on the GPU, the rest on the CPU), on the
**CPU only**, or **not at all**, and at about what speed. It uses the same arithmetic as
the engine's offload planner (:mod:`app.models.sizing`: layers that fit into free VRAM
minus the engine's 1 GiB reserve, 8k context, flash attention on the GPU), so the mark
matches what loading will do.

Speed is an estimate, not a measurement: generating a token reads every weight once, so
tokens per second ≈ memory bandwidth ÷ bytes of weights, summed over the part on the GPU
and the part on the CPU. Bandwidths are effective figures for typical hardware (GPU by
its memory size, since a card's bandwidth is not something the machine reports; 25 GB/s
for a laptop's dual-channel RAM; 100 GB/s for Apple-silicon unified memory). The speed
class is what the poet cares about: *fast* (≥ 20 tokens/s: a thinking poem in well under
a minute), *moderate* (≥ 8), *slow* (≥ 2) and *very slow*.

:func:`recommend` preselects the best entry that runs at a comfortable speed (fast or
moderate): the poetry model before general ones, models that think before those that do
not, the catalog's default, then the larger file; and it says why, naming the better
model it passed over and the reason. Everything here is pure: the machine comes in as a
:class:`~app.models.machine.MachineInfo`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.models.budget import entry_think_budget
from app.models.catalog import CatalogEntry
from app.models.errors import Lang
from app.models.machine import MachineInfo
from app.models.sizing import ModelShape, choose_gpu_layers, estimate_memory
from app.models.units import format_bytes, format_duration

__all__ = [
    "ModelFit",
    "Placement",
    "Recommendation",
    "Speed",
    "assess",
    "gpu_bandwidth",
    "ram_budget",
    "recommend",
]

Placement = Literal["gpu", "partial", "cpu", "none"]
Speed = Literal["fast", "moderate", "slow", "very_slow"]

GiB = 1024**3
N_CTX = 8192  # the engine's default context
VRAM_RESERVE = GiB  # the engine's default reserve (LoadConfig.vram_reserve_mb)
APP_BYTES = 1_000_000_000  # the window, the rhyme book, the engine process itself
CPU_BANDWIDTH = 25e9  # dual-channel DDR4/DDR5 in a laptop, as achieved
UNIFIED_BANDWIDTH = 100e9  # Apple silicon (M1 68, M2 100, Pro/Max chips more)
TOKEN_OVERHEAD_S = 0.002  # sampling, kernel launches, the output step's bookkeeping
ANSWER_TOKENS = 120  # a 七律 with its tags
SPEED_STEPS: tuple[tuple[float, Speed], ...] = ((20.0, "fast"), (8.0, "moderate"), (2.0, "slow"))
# Effective GPU memory bandwidth by the card's memory size (bytes/s): 4 GB cards
# (GTX 1650 class), 8 GB (RTX 4060/3070), 12 GB (RTX 3060/4070), 16 GB, 24 GB
# (RTX 3090/4090), larger (workstation and data-centre cards).
_GPU_BANDWIDTH = ((6 * GiB, 150e9), (10 * GiB, 250e9), (14 * GiB, 350e9), (20 * GiB, 400e9),
                  (32 * GiB, 750e9))  # fmt: skip
_GPU_BANDWIDTH_LARGE = 1000e9


def gpu_bandwidth(machine: MachineInfo) -> float:
    """The GPU's assumed effective memory bandwidth (bytes/s)."""
    if machine.unified_memory:
        return UNIFIED_BANDWIDTH
    total = machine.vram_bytes or 0
    for limit, bandwidth in _GPU_BANDWIDTH:
        if total < limit:
            return bandwidth
    return _GPU_BANDWIDTH_LARGE


def ram_budget(machine: MachineInfo) -> int | None:
    """System memory a model may take: the total less what the system and other programs
    keep (2 GiB, or a fifth of the memory on larger machines)."""
    if not machine.ram_bytes:
        return None
    return machine.ram_bytes - max(2 * GiB, machine.ram_bytes // 5)


def _speed_class(tokens_per_s: float) -> Speed:
    for floor, name in SPEED_STEPS:
        if tokens_per_s >= floor:
            return name
    return "very_slow"


_SPEED_TEXT: dict[Speed, tuple[str, str]] = {
    "fast": ("快", "fast"),
    "moderate": ("中等", "moderate"),
    "slow": ("慢", "slow"),
    "very_slow": ("很慢", "very slow"),
}


@dataclass(frozen=True)
class ModelFit:
    """Where one entry runs on this machine and how fast (estimated)."""

    entry_id: str
    placement: Placement
    n_gpu_layers: int  # 0, the layers offloaded, or n_layers + 1 for everything
    n_layers: int
    gpu_bytes: int  # GPU memory it takes
    ram_bytes: int  # system memory it takes (the app included)
    tokens_per_s: float  # 0 when it does not run
    think_tokens: int  # the thinking budget the poem time assumes (0: does not think)
    tight: bool = False  # fits this machine, but more memory than is free right now
    why_not: tuple[str, str] = ("", "")  # when it does not run: why (zh, en)

    @property
    def runs(self) -> bool:
        return self.placement != "none"

    @property
    def speed(self) -> Speed | None:
        return _speed_class(self.tokens_per_s) if self.runs else None

    @property
    def comfortable(self) -> bool:
        """Fast or moderate: a poet can wait for it."""
        return self.speed in ("fast", "moderate")

    @property
    def poem_seconds(self) -> float | None:
        """About how long one poem takes: its thinking budget and the answer."""
        if not self.runs or self.tokens_per_s <= 0:
            return None
        return (self.think_tokens + ANSWER_TOKENS) / self.tokens_per_s

    def label(self, lang: Lang = "zh") -> str:
        """Where it runs: 全部在显卡上 / 部分在显卡上（20/36 层） / 仅 CPU / 无法运行."""
        zh, en = {
            "gpu": ("全部在显卡上", "fully on the GPU"),
            "partial": (
                f"部分在显卡上（{self.n_gpu_layers}/{self.n_layers} 层）",
                f"partly on the GPU ({self.n_gpu_layers}/{self.n_layers} layers)",
            ),
            "cpu": ("仅用 CPU", "CPU only"),
            "none": ("无法运行", "will not run"),
        }[self.placement]
        if self.tight:
            zh += "（需先关闭其他程序）"
            en += " (close other programs first)"
        return zh if lang == "zh" else en

    def speed_label(self, lang: Lang = "zh") -> str:
        """``快，约 35 词元/秒`` — or why it does not run."""
        speed = self.speed
        if speed is None:
            return self.why_not[0] if lang == "zh" else self.why_not[1]
        zh, en = _SPEED_TEXT[speed]
        rate = f"{self.tokens_per_s:.0f}" if self.tokens_per_s >= 2 else f"{self.tokens_per_s:.1f}"
        if lang == "zh":
            return f"{zh}，约 {rate} 词元/秒"
        return f"{en}, about {rate} tokens/s"

    def describe(self, lang: Lang = "zh") -> str:
        """The mark, the speed and the time for a poem, in one line."""
        if not self.runs:
            return (
                f"{self.label(lang)}：{self.speed_label(lang)}"
                if lang == "zh"
                else (f"{self.label(lang)}: {self.speed_label(lang)}")
            )
        poem = format_duration(self.poem_seconds, lang)
        if lang == "zh":
            think = f"含 {self.think_tokens} 词元思考" if self.think_tokens else "不含思考"
            return f"{self.label(lang)}，{self.speed_label(lang)}；一首约 {poem}（{think}）"
        think = f"with {self.think_tokens} thinking tokens" if self.think_tokens else "no thinking"
        return f"{self.label(lang)}, {self.speed_label(lang)}; about {poem} a poem ({think})"


def _think_tokens(entry: CatalogEntry) -> int:
    return entry_think_budget(entry) if entry.thinks else 0


def assess(entry: CatalogEntry, machine: MachineInfo, *, n_ctx: int = N_CTX) -> ModelFit:
    """Where ``entry`` runs on ``machine`` and how fast (see the module notes)."""
    think = _think_tokens(entry)
    budget = ram_budget(machine)
    if entry.arch is None:  # no shape: the catalog's two figures decide, no partial offload
        return _assess_by_totals(entry, machine, budget, think)
    shape = ModelShape.from_arch(entry.arch, entry.size_bytes)
    n_layers = shape.n_layers
    free = _free_vram(machine)
    k = 0
    if free is not None:
        k = choose_gpu_layers(free, shape, n_ctx, VRAM_RESERVE, flash_attn=True)
        if machine.unified_memory and k <= n_layers:
            k = 0  # Metal offloads all or nothing in practice; a partial split gains little
    everything = k > n_layers
    est = estimate_memory(shape, n_ctx, k, flash_attn=k > 0)
    ram_need = est.cpu_bytes + APP_BYTES
    if machine.unified_memory and k:
        ram_need += est.gpu_bytes  # the GPU's share is the same memory
    if budget is not None and ram_need > budget:
        have = format_bytes(budget)
        need = format_bytes(ram_need)
        return ModelFit(
            entry.id, "none", 0, n_layers, 0, ram_need, 0.0, think,
            why_not=(
                f"需要约 {need} 内存，本机可用约 {have}",
                f"needs about {need} of memory; this machine can spare about {have}",
            ),
        )  # fmt: skip
    gpu_weights = (
        shape.weight_bytes
        if everything
        else (shape.output_bytes + k * shape.layer_bytes if k else 0)
    )
    cpu_weights = shape.weight_bytes - gpu_weights
    seconds = TOKEN_OVERHEAD_S + cpu_weights / CPU_BANDWIDTH
    if gpu_weights:
        seconds += gpu_weights / gpu_bandwidth(machine)
    placement: Placement = "gpu" if everything else ("partial" if k else "cpu")
    available = machine.ram_available_bytes
    tight = available is not None and ram_need > available
    return ModelFit(
        entry_id=entry.id,
        placement=placement,
        n_gpu_layers=k,
        n_layers=n_layers,
        gpu_bytes=est.gpu_bytes if k else 0,
        ram_bytes=ram_need,
        tokens_per_s=1.0 / seconds,
        think_tokens=think,
        tight=tight,
    )


def _free_vram(machine: MachineInfo) -> int | None:
    if not machine.vram_bytes:
        return None
    if machine.vram_free_bytes is not None:
        return min(machine.vram_free_bytes, machine.vram_bytes)
    return machine.vram_bytes


def _assess_by_totals(
    entry: CatalogEntry, machine: MachineInfo, budget: int | None, think: int
) -> ModelFit:
    free = _free_vram(machine)
    if free is not None and entry.vram_bytes + VRAM_RESERVE <= free:
        seconds = TOKEN_OVERHEAD_S + entry.size_bytes / gpu_bandwidth(machine)
        return ModelFit(entry.id, "gpu", 1, 0, entry.vram_bytes, APP_BYTES, 1 / seconds, think)
    if budget is None or entry.ram_bytes <= budget:
        seconds = TOKEN_OVERHEAD_S + entry.size_bytes / CPU_BANDWIDTH
        tight = (
            machine.ram_available_bytes is not None
            and entry.ram_bytes > machine.ram_available_bytes
        )
        return ModelFit(entry.id, "cpu", 0, 0, 0, entry.ram_bytes, 1 / seconds, think, tight)
    need, have = format_bytes(entry.ram_bytes), format_bytes(budget)
    return ModelFit(
        entry.id, "none", 0, 0, 0, entry.ram_bytes, 0.0, think,
        why_not=(
            f"需要约 {need} 内存，本机可用约 {have}",
            f"needs about {need} of memory; this machine can spare about {have}",
        ),
    )  # fmt: skip


# ---------------------------------------------------------------- the choice


@dataclass(frozen=True)
class Recommendation:
    """The entry to preselect, how it runs, and why it was chosen."""

    entry: CatalogEntry
    fit: ModelFit
    reason_zh: str
    reason_en: str

    def reason(self, lang: Lang = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en


def quality_key(entry: CatalogEntry) -> tuple[bool, bool, bool, int]:
    """Better first when sorted in reverse: the poetry model, a model that thinks, the
    catalog's default, the larger file (more parameters or finer quantization)."""
    return (entry.kind == "poetry", entry.thinks, entry.default, entry.size_bytes)


def recommend(entries: Iterable[CatalogEntry], machine: MachineInfo) -> Recommendation | None:
    """The best entry this machine runs comfortably (else the fastest that runs), with the
    reason; None when nothing runs at all."""
    ranked = sorted(entries, key=quality_key, reverse=True)
    fits = {e.id: assess(e, machine) for e in ranked}
    comfortable = [e for e in ranked if fits[e.id].comfortable]
    if comfortable:
        chosen = comfortable[0]
    else:
        running = [e for e in ranked if fits[e.id].runs]
        if not running:
            return None
        chosen = max(running, key=lambda e: (fits[e.id].tokens_per_s, quality_key(e)))
    fit = fits[chosen.id]
    better = next((e for e in ranked if quality_key(e) > quality_key(chosen)), None)
    zh = f"推荐{chosen.display_name('zh')}：{fit.describe('zh')}。"
    en = f"Recommended: {chosen.display_name('en')}, {fit.describe('en')}."
    if not comfortable:
        zh += "本机上没有能以舒适速度运行的模型，这是最快的一个。"
        en += " Nothing runs at a comfortable speed on this machine; this is the fastest."
    elif better is not None:
        # the best entry passed over: say why, once
        top = ranked[0]
        top_fit = fits[top.id]
        if not top_fit.runs:
            zh += f"更好的{top.display_name('zh')}在本机无法运行（{top_fit.why_not[0]}）。"
            en += f" The better {top.display_name('en')} will not run here ({top_fit.why_not[1]})."
        else:
            zh += (
                f"更好的{top.display_name('zh')}在本机{top_fit.speed_label('zh')}，写一首要等太久。"
            )
            en += (
                f" The better {top.display_name('en')} would be {top_fit.speed_label('en')} "
                "here: too long to wait for a poem."
            )
    return Recommendation(chosen, fit, zh, en)
