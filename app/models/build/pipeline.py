"""The build, stage by stage: download → convert → quantize → verify → register.

:class:`Builder` runs the stages of a :class:`~app.models.build.plan.BuildPlan` that
are not done yet, in order, reporting :class:`BuildProgress`; the state is saved
after every change (:mod:`app.models.build.state`), so ``run()`` after a pause, a
restart or a crash picks up where the build stopped. Setting ``cancel`` pauses
(:class:`BuildPaused`): a download keeps its verified bytes, a conversion or a
quantization starts that stage over. ``discard()`` throws a build away.

1. **download** — the small JSON files (checked against their git blob id) and the
   shards (the resumable, SHA-256-verified downloader) into ``<work>/original``;
2. **convert** — first every original file is hashed again and compared with the plan
   (a file changed since it was downloaded is deleted and downloaded again), then
   :func:`app.convert.convert_checkpoint` at the checkpoint's precision;
3. **quantize** — llama.cpp's quantizer in a child process;
4. **verify** — metadata, tokenization, a load and a short generation, SHA-256;
5. **register** — the verified file moves to its folder and is registered with its
   provenance; the intermediate file is deleted, the original weights too unless
   ``keep_original`` says to keep them (then they move next to the result).

A failing stage raises :class:`BuildError` (which stage, why, what to do) and is
recorded as failed; nothing is registered before stage 5, and stage 5 registers only
the verified file.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from app.convert import CONVERTER_VERSION, ConvertCancelled, ConvertProgress, convert_checkpoint
from app.models.build.errors import STAGES, BuildError, BuildPaused, Stage
from app.models.build.plan import SPACE_MARGIN, BuildPlan, check_space
from app.models.build.quantize import (
    QuantizeFailedError,
    QuantizeProgress,
    QuantizeStopped,
    run_quantize,
)
from app.models.build.source import fetch_file, git_blob_id
from app.models.build.state import BuildState
from app.models.build.verify import VerifyFailedError, VerifyProgress, verify_build
from app.models.catalog import LocalText
from app.models.download import Downloader, DownloadProgress
from app.models.download.partfile import hash_file, verified_marker
from app.models.errors import DownloadCancelled, ModelError
from app.models.registry import InstalledModel, ModelKind, ModelRegistry

KeepOriginal = bool | Callable[[BuildPlan], bool]
CHECK_SHARE = 0.25  # of the convert stage's bar: hashing the originals again
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

_TODO: dict[Stage, tuple[str, str]] = {
    "download": (
        "请检查网络或访问令牌，然后点“继续”；已下载的部分都已保留。",
        "Check the network or the access token, then resume; everything downloaded is kept.",
    ),
    "convert": (
        "点“继续”会重新校验原始文件并重新转换。",
        "Resume to check the original files again and convert again.",
    ),
    "quantize": (
        "点“继续”重新量化；若仍失败，可改用另一种量化方式。",
        "Resume to quantize again; if it keeps failing, choose another quantization.",
    ),
    "verify": (
        "生成的文件没有登记。请改用已发布的 GGUF 文件，或把这条信息报告给开发者。",
        "The built file was not registered. Use a published GGUF file, or report this message.",
    ),
    "register": ("点“继续”再试一次。", "Resume to try again."),
}
_DISK_TODO = (
    "请清理磁盘空间，然后点“继续”；已完成的步骤都已保留。",
    "Free some disk space, then resume; the stages already done are kept.",
)


@dataclass(frozen=True)
class BuildProgress:
    stage: Stage
    fraction: float  # of this stage, 0..1
    done: int
    total: int
    unit: str  # "bytes", "tensors" or ""
    speed: float | None = None  # units per second
    eta_s: float | None = None
    note: LocalText | None = None

    @property
    def index(self) -> int:
        return STAGES.index(self.stage)


BuildCallback = Callable[[BuildProgress], None]


class _Reporter:
    """Speed and time left per stage (and phase of a stage), at most every 0.1 s."""

    def __init__(self, callback: BuildCallback | None) -> None:
        self.callback = callback
        self.stage: Stage = "download"
        self.phase = ""
        self._samples: list[tuple[float, int, float]] = []
        self._last = 0.0

    def begin(self, stage: Stage) -> None:
        self.stage = stage
        self._samples = []
        self.emit(0, 0, "", force=True)

    def emit(
        self,
        done: int,
        total: int,
        unit: str,
        *,
        fraction: float | None = None,
        note: LocalText | None = None,
        force: bool = False,
        phase: str = "",
    ) -> None:
        """``fraction`` of the stage (default done/total); ``phase`` names a part of a
        stage with its own units (its speed is measured apart)."""
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and note is None and now - self._last < 0.1:
            return
        self._last = now
        frac = fraction if fraction is not None else (done / total if total else 0.0)
        if phase != self.phase:
            self.phase = phase
            self._samples = []
        self._samples.append((now, done, frac))
        self._samples = [s for s in self._samples if now - s[0] <= 10.0]
        speed = eta = None
        first = self._samples[0]
        if len(self._samples) > 1 and now > first[0]:
            speed = (done - first[1]) / (now - first[0])
            rate = (frac - first[2]) / (now - first[0])  # of the stage, per second
            if rate > 0:
                eta = (1.0 - frac) / rate
        self.callback(
            BuildProgress(self.stage, max(0.0, min(1.0, frac)), done, total, unit, speed, eta, note)
        )


def _llama_cpp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama-cpp-python")
    except PackageNotFoundError:
        return "?"


class Builder:
    """Runs (and resumes) one build; see the module notes."""

    def __init__(
        self,
        state: BuildState,
        registry: ModelRegistry,
        *,
        downloader: Downloader | None = None,
        token: str | None = None,
        keep_original: KeepOriginal = True,
        command: Sequence[str] | None = None,
        threads: int = 0,
    ) -> None:
        self.state = state
        self.registry = registry
        self.downloader = downloader or Downloader(token=token)
        self.token = token
        self.keep_original = keep_original
        self.command = command
        self.threads = threads

    @property
    def plan(self) -> BuildPlan:
        return self.state.plan

    # ------------------------------------------------------------ life cycle
    @classmethod
    def start(cls, plan: BuildPlan, registry: ModelRegistry, **kwargs: object) -> Builder:
        """A new build of ``plan`` (or the unfinished one with the same key)."""
        existing = registry.models_dir / ".shijian-build" / plan.key / "build.json"
        if existing.is_file():
            return cls.resume(existing, registry, **kwargs)
        check_space(plan.folder, plan.space_needed)
        state = BuildState.new(plan, registry.models_dir)
        state.save()
        return cls(state, registry, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def resume(cls, state_file: Path, registry: ModelRegistry, **kwargs: object) -> Builder:
        state = BuildState.load(state_file)
        for stage in STAGES:
            if state.stages[stage] == "running":  # interrupted: killed, crashed, power cut
                state.stages[stage] = "pending"
        state.save()
        return cls(state, registry, **kwargs)  # type: ignore[arg-type]

    def discard(self) -> None:
        """Throw the build away: its work folder (never a user's own weights) and record."""
        plan = self.plan
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(plan.work_dir)
        with contextlib.suppress(OSError):
            plan.work_dir.parent.rmdir()
        self.state.remove()

    def run(
        self, progress: BuildCallback | None = None, cancel: threading.Event | None = None
    ) -> InstalledModel:
        cancel = cancel or threading.Event()
        reporter = _Reporter(progress)
        model: InstalledModel | None = None
        for stage in STAGES:
            if self.state.stages[stage] == "done":
                continue
            reporter.begin(stage)
            self.state.mark(stage, "running")
            try:
                if stage == "download":
                    self._download(reporter, cancel)
                elif stage == "convert":
                    self._convert(reporter, cancel)
                elif stage == "quantize":
                    self._quantize(reporter, cancel)
                elif stage == "verify":
                    self._verify(reporter, cancel)
                else:
                    model = self._register(reporter)
            except (DownloadCancelled, ConvertCancelled, QuantizeStopped, InterruptedError):
                self.state.mark(stage, "pending")
                raise BuildPaused(stage) from None
            except BuildError as exc:
                self.state.mark(stage, "failed", exc)
                raise
            except ModelError as exc:
                todo = _DISK_TODO if _is_disk_full(exc) else _TODO[stage]
                error = BuildError.wrap(stage, exc, *todo)
                self.state.mark(stage, "failed", error)
                raise error from exc
            except OSError as exc:
                disk = exc.errno in _DISK_FULL
                todo = _DISK_TODO if disk else _TODO[stage]
                why = ("磁盘已满", "the disk is full") if disk else (str(exc), str(exc))
                error = BuildError(stage, why[0], why[1], *todo)
                self.state.mark(stage, "failed", error)
                raise error from exc
            self.state.mark(stage, "done")
            reporter.emit(1, 1, "", fraction=1.0, force=True)
        if model is None:  # registered by an earlier run that stopped just after
            model = self.registry.get(self.plan.key)
            if model is None:
                self.state.mark("register", "pending")
                raise BuildError(
                    "register", "登记记录不见了", "the registration is missing", *_TODO["register"]
                )
        self.state.remove()  # a finished build leaves no record; the registry has its story
        return model

    # ------------------------------------------------------------ stages
    def _download(self, reporter: _Reporter, cancel: threading.Event) -> None:
        plan = self.plan
        source = plan.source
        if source is None:  # weights already on disk
            if not (plan.original_dir / "config.json").is_file():
                raise BuildError(
                    "download",
                    f"文件夹 {plan.original_dir} 中找不到原始权重",
                    f"the original weights are no longer in {plan.original_dir}",
                    "请把它们放回原处，或重新开始制作。",
                    "Put them back, or start the build again.",
                )
            return
        folder = plan.original_dir
        total = source.total_size
        small = [f for f in source.files if not f.sha256]
        done_small = 0
        for remote in small:
            target = folder / remote.basename
            if not (target.is_file() and git_blob_id(target.read_bytes()) == remote.blob_id):
                fetch_file(source, remote, folder, token=self.token, cancel=cancel)
            done_small += remote.size
            reporter.emit(done_small, total, "bytes")
        large = tuple(f for f in source.files if f.sha256)
        if not large:
            return

        def on_download(p: DownloadProgress) -> None:
            reporter.emit(done_small + p.done_bytes, total, "bytes", note=p.note)

        self.downloader.download(replace(source, files=large), folder, on_download, cancel)

    def _check_originals(self, reporter: _Reporter, cancel: threading.Event) -> None:
        """Hash every downloaded file again; a changed one is deleted and fetched again."""
        source = self.plan.source
        if source is None:
            return
        folder = self.plan.original_dir
        total = source.total_size
        base = 0
        for remote in source.files:
            path = folder / remote.basename
            note = LocalText(f"正在校验 {remote.basename}", f"Checking {remote.basename}")
            share = CHECK_SHARE * base / total
            reporter.emit(base, total, "bytes", note=note, fraction=share, phase="check")
            if not path.is_file():
                digest_ok = False
            elif remote.sha256:
                start = base

                def seen(n: int, start: int = start) -> None:
                    done = start + n
                    reporter.emit(done, total, "bytes", fraction=CHECK_SHARE * done / total,
                                  phase="check")  # fmt: skip

                digest_ok = hash_file(path, seen, cancel.is_set) == remote.sha256
            else:
                digest_ok = git_blob_id(path.read_bytes()) == remote.blob_id
            if not digest_ok:
                for junk in (path, verified_marker(path)):
                    with contextlib.suppress(FileNotFoundError):
                        junk.unlink()
                self.state.stages["download"] = "pending"
                raise BuildError(
                    "convert",
                    f"原始文件 {remote.basename} 与下载时校验的内容不同（已被改动或损坏），已删除",
                    f"the original file {remote.basename} differs from what was verified when it "
                    "was downloaded (changed or damaged); it was deleted",
                    "点“继续”会重新下载这个文件，然后再转换。",
                    "Resume to download that file again, then convert.",
                )
            base += remote.size

    def _space(self, stage: Stage, needed: int) -> None:
        try:
            check_space(self.plan.folder, needed + SPACE_MARGIN)
        except ModelError as exc:
            raise BuildError.wrap(stage, exc, *_DISK_TODO) from exc

    def _convert(self, reporter: _Reporter, cancel: threading.Event) -> None:
        plan = self.plan
        self._check_originals(reporter, cancel)
        self._space("convert", plan.estimate.intermediate_bytes)
        plan.work_dir.mkdir(parents=True, exist_ok=True)

        checked = CHECK_SHARE if plan.source is not None else 0.0

        def on_convert(p: ConvertProgress) -> None:
            share = checked + (1.0 - checked) * p.fraction
            reporter.emit(p.done_bytes, p.total_bytes, "bytes", fraction=share, phase="write")

        metadata = {"shijian.build.quant": plan.quant}
        if plan.source is not None:
            metadata["general.source.url"] = f"{plan.source.endpoint}/{plan.source.repo_id}"
            metadata["shijian.build.source"] = f"{plan.source.repo_id}@{plan.source.revision}"
        convert_checkpoint(
            plan.original_dir,
            plan.intermediate_path,
            name=plan.stem,
            metadata=metadata,
            progress=on_convert,
            cancel=cancel,
        )

    def _quantize(self, reporter: _Reporter, cancel: threading.Event) -> None:
        plan = self.plan
        if not plan.intermediate_path.is_file():
            self.state.stages["convert"] = "pending"
            raise BuildError(
                "quantize",
                "中间文件不见了",
                "the intermediate file is gone",
                "点“继续”会重新转换。",
                "Resume to convert again.",
            )
        self._space("quantize", plan.estimate.result_bytes)

        def on_quantize(p: QuantizeProgress) -> None:
            reporter.emit(p.done, p.total, "tensors")

        try:
            run_quantize(
                plan.intermediate_path,
                plan.quantized_path,
                plan.quant,
                progress=on_quantize,
                cancel=cancel,
                command=self.command,
                threads=self.threads,
            )
        except QuantizeFailedError as exc:
            if exc.disk_full:
                raise BuildError.wrap("quantize", exc, *_DISK_TODO) from exc
            raise

    def _verify(self, reporter: _Reporter, cancel: threading.Event) -> None:
        plan = self.plan
        if not plan.quantized_path.is_file():
            self.state.stages["quantize"] = "pending"
            raise BuildError(
                "verify",
                "量化结果不见了",
                "the quantized file is gone",
                "点“继续”会重新量化。",
                "Resume to quantize again.",
            )
        size = plan.quantized_path.stat().st_size

        def on_verify(p: VerifyProgress) -> None:
            notes = {
                "metadata": LocalText("核对元数据", "Checking the metadata"),
                "load": LocalText("加载并试生成、核对分词", "Loading, tokenizing, generating"),
                "hash": LocalText("计算 SHA-256", "Computing SHA-256"),
            }
            reporter.emit(int(p.fraction * size), size, "bytes", fraction=p.fraction,
                          note=notes.get(p.phase), phase=p.phase)  # fmt: skip

        try:
            report = verify_build(
                plan.quantized_path,
                plan.original_dir,
                plan.quant,
                progress=on_verify,
                cancel=cancel,
                command=self.command,
            )
        except VerifyFailedError as exc:
            raise BuildError.wrap("verify", exc, *_TODO["verify"]) from exc
        self.state.result_sha256 = report.sha256
        self.state.save()

    def _register(self, reporter: _Reporter) -> InstalledModel:
        plan = self.plan
        result = plan.result_path
        if plan.quantized_path.is_file():
            result.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(plan.quantized_path), str(result))
        elif not result.is_file():
            self.state.stages["quantize"] = "pending"
            self.state.stages["verify"] = "pending"
            raise BuildError(
                "register", "结果文件不见了", "the result file is gone", "点“继续”会重新量化。",
                "Resume to quantize again.",
            )  # fmt: skip
        sha = self.state.result_sha256 or hash_file(result)
        source = plan.source
        provenance = {
            "source": f"{source.repo_id}@{source.revision}" if source else str(plan.local_folder),
            "converter": f"shijian-convert {CONVERTER_VERSION}",
            "quant": plan.quant,
            "sha256": sha,
            "llama_cpp": _llama_cpp_version(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        model = self.registry.record_build(
            result,
            key=plan.key,
            name=plan.name,
            kind=model_kind(plan.kind),
            prompt_style=plan.prompt_style,
            quant=plan.quant,
            sha256=sha,
            provenance=provenance,
            entry_id=plan.entry_id,
            repo_id=source.repo_id if source else None,
            revision=source.revision if source else None,
        )
        reporter.emit(1, 2, "", note=LocalText("清理中间文件", "Removing intermediate files"))
        self._clean_up(result)
        return model

    def _clean_up(self, result: Path) -> None:
        plan = self.plan
        with contextlib.suppress(FileNotFoundError):
            plan.intermediate_path.unlink()
        if plan.source is not None and plan.original_dir.is_dir():
            keep = self.keep_original(plan) if callable(self.keep_original) else self.keep_original
            if keep:
                target = result.parent / "original-weights"
                if target.exists():
                    shutil.rmtree(target)
                shutil.move(str(plan.original_dir), str(target))
            else:
                shutil.rmtree(plan.original_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(plan.work_dir)
        with contextlib.suppress(OSError):
            plan.work_dir.parent.rmdir()


def _is_disk_full(error: ModelError) -> bool:
    from app.convert import DiskFullDuringConvertError
    from app.models.errors import DiskFullError, DiskSpaceError

    if isinstance(error, (DiskFullError, DiskSpaceError, DiskFullDuringConvertError)):
        return True
    return isinstance(error, QuantizeFailedError) and error.disk_full


def model_kind(kind: str) -> ModelKind:
    return "poetry" if kind == "poetry" else "general" if kind == "general" else "unknown"
