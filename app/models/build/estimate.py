"""Disk, time and memory a build needs, from a few numbers known before it starts.

Inputs: the bytes to download (from the hub listing), the parameter count (the
weights' bytes over the bytes per weight of the checkpoint's type: 2 for bf16), the
largest tensor (``vocab × hidden`` for these models: the embedding and the output
matrix), the quantization and the number of CPU cores. The formulas::

    result        = params × bits_per_weight(quant) / 8          (the catalog's size if known)
    intermediate  = weights + 0.1 %                               (same precision; norms in F32)
    peak disk     = download + intermediate + result              (all three exist while quantizing)
    time          = download / net_rate
                  + weights / hash_rate + intermediate / convert_rate        (verify, convert)
                  + params / (quant_rate_per_core × cores)                    (quantize)
                  + result / read_rate + result / hash_rate + gen_tokens × result / mem_rate
    memory        = max(convert: vocab + one 64 MiB block ≈ 0.6 GB,
                        quantize: largest tensor × (4 + out bytes per weight) + 0.2 GB
                                  (its f32 copy and its output; the input file is mapped),
                        verify:   result + 0.5 GB (the model is read for a short generation))

The rates are :class:`Rates`: measured on the development machine by
``bench/build_model.py`` (docs/models.md gives the figures); the network rate is an
assumption the plan states (the poet's connection decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models.build.errors import STAGES, Stage
from app.models.errors import ModelError

GB = 1e9
# Effective bits per weight of llama.cpp's quantizations on a Qwen2.5-32B-sized model
# (file size × 8 / parameters, from published GGUF files of Qwen2.5-32B-Instruct).
BITS_PER_WEIGHT: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.50,
    "Q6_K": 6.57,
    "Q5_K_M": 5.68,
    "Q5_K_S": 5.52,
    "Q5_0": 5.52,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.59,
    "Q4_0": 4.57,
    "Q3_K_L": 4.24,
    "Q3_K_M": 3.89,
    "Q3_K_S": 3.52,
    "Q2_K": 3.25,
}
OUT_BYTES_PER_WEIGHT = {q: b / 8 for q, b in BITS_PER_WEIGHT.items()}


@dataclass(frozen=True)
class Rates:
    """Throughputs the estimate assumes (bytes or parameters per second)."""

    net_bps: float = 20e6  # assumed connection: 20 MB/s (160 Mbit/s)
    hash_bps: float = 600e6  # SHA-256 of files on disk
    convert_bps: float = 400e6  # writing the intermediate GGUF
    read_bps: float = 500e6  # loading the result for the short generation
    mem_bps: float = 10e9  # reading the weights once per generated token (CPU)
    quant_params_per_core_s: float = 15e6  # llama_model_quantize, bf16 → Q4_K_M, per CPU-second
    gen_tokens: int = 8


@dataclass(frozen=True)
class BuildEstimate:
    download_bytes: int
    intermediate_bytes: int
    result_bytes: int
    params: int
    ram_bytes: int
    seconds: dict[Stage, float] = field(default_factory=dict)

    @property
    def peak_disk_bytes(self) -> int:
        return self.download_bytes + self.intermediate_bytes + self.result_bytes

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def quant_ftype(quant: str) -> int:
    """llama.cpp's file type number for a quantization name (Q4_K_M → 15)."""
    import gguf

    name = quant.upper()
    try:
        return int(gguf.LlamaFileType[f"MOSTLY_{name}"])
    except KeyError:
        pass
    if name == "F32":
        return int(gguf.LlamaFileType.ALL_F32)
    known = ", ".join(BITS_PER_WEIGHT)
    raise ModelError(
        f"未知的量化方式 {quant!r}（可用：{known}）。",
        f"Unknown quantization {quant!r} (known: {known}).",
    )


def result_bytes_for(params: int, quant: str) -> int:
    bits = BITS_PER_WEIGHT.get(quant.upper(), 8.5)
    return int(params * bits / 8)


def estimate_build(
    *,
    download_bytes: int,
    weight_bytes: int,
    quant: str,
    bytes_per_weight: float = 2.0,
    largest_tensor: int = 0,
    result_bytes: int | None = None,
    cores: int = 4,
    rates: Rates | None = None,
    needs_download: bool = True,
) -> BuildEstimate:
    """The estimate for one build (see the module notes); ``largest_tensor`` in weights."""
    rates = rates or Rates()
    params = int(weight_bytes / bytes_per_weight)
    result = result_bytes if result_bytes is not None else result_bytes_for(params, quant)
    intermediate = int(weight_bytes * 1.001) + 16_000_000  # + vocabulary and metadata
    out_per_weight = OUT_BYTES_PER_WEIGHT.get(quant.upper(), 1.0625)
    quant_ram = int(largest_tensor * (4 + out_per_weight)) + 200_000_000
    ram = max(600_000_000, quant_ram, result + 500_000_000)
    seconds: dict[Stage, float] = {
        "download": download_bytes / rates.net_bps if needs_download else 0.0,
        "convert": weight_bytes / rates.hash_bps + intermediate / rates.convert_bps,
        "quantize": params / (rates.quant_params_per_core_s * max(1, cores)),
        "verify": result / rates.read_bps
        + result / rates.hash_bps
        + rates.gen_tokens * result / rates.mem_bps,
        "register": 1.0,
    }
    return BuildEstimate(
        download_bytes=download_bytes if needs_download else 0,
        intermediate_bytes=intermediate,
        result_bytes=result,
        params=params,
        ram_bytes=ram,
        seconds={stage: seconds[stage] for stage in STAGES},
    )
