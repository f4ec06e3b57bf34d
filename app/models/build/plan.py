"""The plan of a build, shown before anything starts.

A :class:`BuildPlan` says what will be downloaded (names, sizes, SHA-256 or git blob
ids, the commit), where everything goes, how much disk it needs at the peak (original
+ intermediate + result) against the free space of the chosen folder, how long each
stage should take and how much memory. It is made by :func:`plan_from_hub` (a catalog
entry's original weights) or :func:`plan_from_folder` (weights already on disk), and
it is saved with the build's state, so a resumed build follows the same plan.

Both refuse up front what cannot work: an architecture the converter does not know
(from ``config.json``, fetched before any weights), a repository without
``tokenizer.json`` or safetensors, a folder too small (:class:`NotEnoughSpaceError`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.convert import ConvertError, config_from_dict, plan_conversion
from app.models.build.errors import STAGES, NotEnoughSpaceError, stage_label
from app.models.build.estimate import BuildEstimate, Rates, estimate_build, quant_ftype
from app.models.build.source import fetch_bytes, list_original
from app.models.catalog import CatalogEntry, LocalText
from app.models.errors import Lang, ModelError
from app.models.resolve import RemoteFile, ResolvedModel, Resolver
from app.models.units import format_bytes, format_duration

WORK_FOLDER = ".shijian-build"
SPACE_MARGIN = 512 << 20
_DTYPE_BYTES = {"bfloat16": 2.0, "float16": 2.0, "float32": 4.0}


@dataclass(frozen=True)
class BuildPlan:
    key: str  # the registry key of the result
    name: LocalText
    kind: str
    prompt_style: str
    quant: str
    architecture: str  # llama.cpp's name, from config.json
    folder: Path  # the chosen folder: work files and the result
    estimate: BuildEstimate
    free_bytes: int
    entry_id: str | None = None
    source: ResolvedModel | None = None  # hub builds
    local_folder: Path | None = None  # builds from weights already on disk
    stem: str = "model"
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    # -- where things go
    @property
    def work_dir(self) -> Path:
        return self.folder / WORK_FOLDER / self.key

    @property
    def original_dir(self) -> Path:
        return self.local_folder if self.local_folder is not None else self.work_dir / "original"

    @property
    def intermediate_path(self) -> Path:
        return self.work_dir / f"{self.stem}-source.gguf"

    @property
    def quantized_path(self) -> Path:
        """The quantized file before it is verified (never loaded from here)."""
        return self.work_dir / f"{self.stem}-{self.quant}.gguf"

    @property
    def result_path(self) -> Path:
        if self.source is not None:
            folder = self.source.repo_id.replace("/", "--")
        else:
            folder = f"{self.stem}-built"
        return self.folder / folder / f"{self.stem}-{self.quant}.gguf"

    @property
    def files(self) -> tuple[RemoteFile, ...]:
        return self.source.files if self.source is not None else ()

    @property
    def space_needed(self) -> int:
        return self.estimate.peak_disk_bytes + SPACE_MARGIN

    # -- words
    def describe(self, lang: Lang = "zh") -> list[str]:
        """What the build will do, line by line (the text shown before it starts)."""
        zh = lang == "zh"
        est = self.estimate
        lines: list[str] = []
        if self.source is not None:
            src = self.source
            lines.append(
                f"来源：{src.repo_id}，提交 {src.revision[:12]}"
                if zh
                else f"Source: {src.repo_id} at commit {src.revision[:12]}"
            )
            lines.append(
                f"将下载 {len(src.files)} 个文件，共 {format_bytes(src.total_size)}："
                if zh
                else f"Files to download ({len(src.files)}, {format_bytes(src.total_size)}):"
            )
            for f in src.files:
                digest = f"SHA-256 {f.sha256[:16]}…" if f.sha256 else f"git {f.blob_id or '?'}"
                lines.append(f"  {f.name}  {format_bytes(f.size)}  {digest}")
        elif self.local_folder is not None:
            lines.append(
                f"来源：本地文件夹 {self.local_folder}"
                if zh
                else f"Source: the folder {self.local_folder}"
            )
        result = format_bytes(est.result_bytes)
        lines.append(
            f"结构 {self.architecture}，量化为 {self.quant}，结果约 {result}"
            if zh
            else f"Architecture {self.architecture}, quantized to {self.quant}, result about "
            f"{format_bytes(est.result_bytes)}"
        )
        lines.append(
            f"磁盘峰值 {format_bytes(est.peak_disk_bytes)}（原始 {format_bytes(est.download_bytes)}"
            f" + 中间 {format_bytes(est.intermediate_bytes)} + 结果 {result}），"
            f"{self.folder} 可用 {format_bytes(self.free_bytes)}"
            if zh
            else f"Peak disk {format_bytes(est.peak_disk_bytes)} (original "
            f"{format_bytes(est.download_bytes)} + intermediate "
            f"{format_bytes(est.intermediate_bytes)} + result {format_bytes(est.result_bytes)}); "
            f"{format_bytes(self.free_bytes)} free in {self.folder}"
        )
        lines.append(
            f"内存最多约 {format_bytes(est.ram_bytes)}"
            if zh
            else f"Memory: up to about {format_bytes(est.ram_bytes)}"
        )
        colon = "：" if zh else ": "
        for stage in STAGES:
            took = format_duration(est.seconds.get(stage, 0.0), lang)
            lines.append(f"  {stage_label(stage, lang)}{colon}{took}")
        total = format_duration(est.total_seconds, lang)
        lines.append(
            f"预计共 {total}（下载按 20 MB/s 估计，实际取决于网络）"
            if zh
            else f"About {total} in all (the download assumes 20 MB/s; your connection decides)"
        )
        return lines

    # -- persistence
    def to_dict(self) -> dict[str, Any]:
        est = self.estimate
        return {
            "key": self.key,
            "name": {"zh": self.name.zh, "en": self.name.en},
            "kind": self.kind,
            "prompt_style": self.prompt_style,
            "quant": self.quant,
            "architecture": self.architecture,
            "folder": str(self.folder),
            "free_bytes": self.free_bytes,
            "entry_id": self.entry_id,
            "source": self.source.to_dict() if self.source is not None else None,
            "local_folder": str(self.local_folder) if self.local_folder else None,
            "stem": self.stem,
            "created": self.created,
            "estimate": {
                "download_bytes": est.download_bytes,
                "intermediate_bytes": est.intermediate_bytes,
                "result_bytes": est.result_bytes,
                "params": est.params,
                "ram_bytes": est.ram_bytes,
                "seconds": dict(est.seconds),
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildPlan:
        est = data["estimate"]
        return cls(
            key=str(data["key"]),
            name=LocalText(str(data["name"]["zh"]), str(data["name"]["en"])),
            kind=str(data["kind"]),
            prompt_style=str(data["prompt_style"]),
            quant=str(data["quant"]),
            architecture=str(data["architecture"]),
            folder=Path(data["folder"]),
            free_bytes=int(data["free_bytes"]),
            entry_id=data.get("entry_id"),
            source=ResolvedModel.from_dict(data["source"]) if data.get("source") else None,
            local_folder=Path(data["local_folder"]) if data.get("local_folder") else None,
            stem=str(data.get("stem", "model")),
            created=str(data.get("created", "")),
            estimate=BuildEstimate(
                download_bytes=int(est["download_bytes"]),
                intermediate_bytes=int(est["intermediate_bytes"]),
                result_bytes=int(est["result_bytes"]),
                params=int(est["params"]),
                ram_bytes=int(est["ram_bytes"]),
                seconds={k: float(v) for k, v in est["seconds"].items()},
            ),
        )


def free_space(folder: Path) -> int:
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_space(folder: Path, needed: int) -> int:
    """Free bytes in ``folder``; :class:`NotEnoughSpaceError` if fewer than ``needed``."""
    free = free_space(folder)
    if needed > free:
        raise NotEnoughSpaceError(str(folder), needed, free)
    return free


def _cores() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def plan_from_hub(
    entry: CatalogEntry,
    resolver: Resolver,
    folder: Path,
    *,
    quant: str | None = None,
    token: str | None = None,
    rates: Rates | None = None,
) -> BuildPlan:
    """Plan building ``entry`` from its original weights into ``folder``."""
    if entry.build is None:
        raise ModelError(
            f"目录中的 {entry.id} 没有制作方法。", f"Catalog entry {entry.id} has no build recipe."
        )
    quant_ftype(quant or entry.quant)  # an unknown quantization is refused first
    source = list_original(resolver, entry)
    config_file = next(f for f in source.files if f.name == "config.json")
    try:
        config = config_from_dict(json.loads(fetch_bytes(source, config_file, token=token)))
    except ValueError as exc:
        raise ConvertError(
            f"{source.repo_id} 的 config.json 不是有效的 JSON：{exc}",
            f"config.json of {source.repo_id} is not valid JSON: {exc}",
        ) from exc
    chosen = (quant or entry.quant).upper()
    weights = sum(f.size for f in source.files if f.name.endswith(".safetensors"))
    estimate = estimate_build(
        download_bytes=source.total_size,
        weight_bytes=weights,
        quant=chosen,
        bytes_per_weight=_DTYPE_BYTES.get(config.torch_dtype, 2.0),
        largest_tensor=config.n_vocab * config.n_embd,
        result_bytes=entry.size_bytes if chosen == entry.quant.upper() else None,
        cores=_cores(),
        rates=rates,
    )
    return BuildPlan(
        key=entry.id if chosen == entry.quant.upper() else f"{entry.id}-{chosen.lower()}",
        name=entry.name,
        kind=entry.kind,
        prompt_style=entry.prompt_style,
        quant=chosen,
        architecture=config.arch.gguf_arch,
        folder=Path(folder),
        estimate=estimate,
        free_bytes=free_space(Path(folder)),
        entry_id=entry.id,
        source=source,
        stem=source.repo_id.split("/", 1)[1],
    )


def plan_from_folder(
    weights: Path,
    folder: Path,
    *,
    quant: str = "Q4_K_M",
    name: LocalText | None = None,
    kind: str = "unknown",
    prompt_style: str = "chatml-general",
    rates: Rates | None = None,
) -> BuildPlan:
    """Plan building from a Hugging Face checkpoint already on disk (checked fully)."""
    quant_ftype(quant)
    weights = Path(weights).expanduser().resolve()
    conversion = plan_conversion(weights)  # refuses anything that would not convert
    cfg = conversion.config
    chosen = quant.upper()
    estimate = estimate_build(
        download_bytes=0,
        weight_bytes=conversion.checkpoint.total_bytes,
        quant=chosen,
        bytes_per_weight=2.0 if conversion.weight_type in ("BF16", "F16") else 4.0,
        largest_tensor=max(t.n_elements for t in conversion.checkpoint.tensors.values()),
        cores=_cores(),
        rates=rates,
        needs_download=False,
    )
    digest = hashlib.sha1(f"{weights}|{chosen}".encode()).hexdigest()[:12]
    label = weights.name
    return BuildPlan(
        key=f"built-{digest}",
        name=name or LocalText(f"{label}（本机制作，{chosen}）", f"{label} (built here, {chosen})"),
        kind=kind,
        prompt_style=prompt_style,
        quant=chosen,
        architecture=cfg.arch.gguf_arch,
        folder=Path(folder),
        estimate=estimate,
        free_bytes=free_space(Path(folder)),
        local_folder=weights,
        stem=label,
    )
