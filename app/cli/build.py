"""``shijian build-model``: make a GGUF here from a model's original weights.

* ``shijian build-model ENTRY_ID`` — a catalog entry with a build recipe (the plan is
  shown, then the five stages run with a progress display);
* ``shijian build-model --from-dir FOLDER`` — a Hugging Face checkpoint already on disk;
* ``shijian build-model --list`` — unfinished builds; ``--discard KEY`` throws one away.

Running the same command again resumes an unfinished build. Ctrl-C pauses (exit 130;
everything done is kept). Exit status: 0 built, 1 a stage failed (the message says
which, why and what to do), 2 bad input, 130 paused.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.cli.common import CliError, language

# The model pipeline is imported when the command runs, not when the parser is built:
# `shijian` with no command opens the window, which must not load it at start-up.
if TYPE_CHECKING:
    from app.models.build.pipeline import Builder, BuildProgress
    from app.models.build.plan import BuildPlan
    from app.models.catalog import LocalText
    from app.models.errors import Lang


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "build-model",
        help="在本机制作 GGUF 模型 / build a GGUF model on this computer from original weights",
        description="从原始权重（Hugging Face safetensors）在本机制作 GGUF：下载、转换、量化、"
        "校验、登记。再次运行同一命令可继续未完成的制作。",
    )
    p.add_argument("entry", nargs="?", help="catalog entry id (e.g. qpm-1k-32b-r1-q4_k_m)")
    p.add_argument("--from-dir", metavar="FOLDER", help="build from weights already on disk")
    p.add_argument("--quant", help="quantization (default: the entry's, or Q4_K_M)")
    p.add_argument("--folder", help="where the build's files and the result go (default: models)")
    p.add_argument("--name", help="name for a model built from a folder")
    p.add_argument("--kind", choices=("poetry", "general"), default="general")
    p.add_argument(
        "--prompt-style", choices=("qpm-r1", "qwen3-think", "chatml-general"),
        default="chatml-general",
    )  # fmt: skip
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep-original", action="store_true", help="keep the original weights")
    keep.add_argument("--delete-original", action="store_true", help="delete them when done")
    p.add_argument("--yes", "-y", action="store_true", help="start without asking")
    p.add_argument("--threads", type=int, default=0, help="quantizer threads (0: all cores)")
    p.add_argument(
        "--catalog", metavar="FILE", help="a models.toml to use instead of the shipped one"
    )
    p.add_argument("--list", action="store_true", help="list unfinished builds")
    p.add_argument("--discard", metavar="KEY", help="throw an unfinished build away")
    p.set_defaults(handler=run)


class ProgressDisplay:
    """One line per stage; redrawn in place on a terminal, every 10 % otherwise."""

    def __init__(self, stream: TextIO, lang: Lang) -> None:
        self.stream = stream
        self.lang = lang
        self.tty = stream.isatty()
        self.stage: str | None = None
        self.last_step = -1
        self.last_draw = 0.0

    def __call__(self, p: BuildProgress) -> None:
        if p.stage != self.stage:
            if self.stage is not None and self.tty:
                self.stream.write("\n")
            self.stage = p.stage
            self.last_step = -1
        step = int(p.fraction * 10)
        now = time.monotonic()
        if self.tty:
            if now - self.last_draw < 0.2 and p.fraction < 1.0 and p.note is None:
                return
        elif step == self.last_step and p.note is None:
            return
        self.last_step = step
        self.last_draw = now
        line = self._line(p)
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, p: BuildProgress) -> str:
        from app.models.build.errors import STAGES, stage_label
        from app.models.units import format_bytes, format_duration

        bar = "█" * int(p.fraction * 20) + "░" * (20 - int(p.fraction * 20))
        parts = [f"[{p.index + 1}/{len(STAGES)}] {stage_label(p.stage, self.lang)}", bar,
                 f"{p.fraction * 100:5.1f}%"]  # fmt: skip
        if p.unit == "bytes" and p.total:
            parts.append(f"{format_bytes(p.done)}/{format_bytes(p.total)}")
        elif p.unit == "tensors" and p.total:
            parts.append(f"{p.done}/{p.total}")
        if p.eta_s is not None and p.fraction < 1.0:
            left = "剩余" if self.lang == "zh" else "left"
            parts.append(f"{left} {format_duration(p.eta_s, self.lang)}")
        if p.note is not None:
            parts.append(p.note.get(self.lang))
        return "  ".join(parts)

    def end(self) -> None:
        if self.tty and self.stage is not None:
            self.stream.write("\n")
            self.stream.flush()


def _say(text: LocalText | str, lang: Lang) -> str:
    return text if isinstance(text, str) else text.get(lang)


def _models_dir(args: argparse.Namespace) -> Path:
    from app.paths import resolve_paths

    return resolve_paths(args.basedir).ensure().models


def _plan(args: argparse.Namespace, folder: Path, lang: Lang) -> BuildPlan:
    from app.models.build.plan import plan_from_folder, plan_from_hub
    from app.models.catalog import LocalText, load_catalog

    if args.from_dir:
        weights = Path(args.from_dir)
        if not weights.is_dir():
            raise CliError(f"不是文件夹 / not a folder: {weights}")
        name = LocalText(args.name, args.name) if args.name else None
        return plan_from_folder(
            weights,
            folder,
            quant=args.quant or "Q4_K_M",
            name=name,
            kind=args.kind,
            prompt_style=args.prompt_style,
        )
    if not args.entry:
        raise CliError("请给出目录条目或 --from-dir / give a catalog entry id or --from-dir")
    catalog = load_catalog(Path(args.catalog) if args.catalog else None)
    if args.entry not in catalog:
        known = ", ".join(e.id for e in catalog if e.build is not None)
        raise CliError(f"目录中没有 / no catalog entry {args.entry!r} (buildable: {known})")
    entry = catalog.get(args.entry)
    if entry.build is None:
        raise CliError(
            f"{entry.id} 没有制作方法（已有发布的 GGUF，请直接下载）/ {entry.id} has no build "
            "recipe (a published GGUF exists: download it)"
        )
    from app.models.resolve import Resolver

    return plan_from_hub(entry, Resolver(), folder, quant=args.quant)


def _keep_original(args: argparse.Namespace, lang: Lang) -> bool | Any:
    from app.models.units import format_bytes

    if args.keep_original:
        return True
    if args.delete_original:
        return False
    if not sys.stdin.isatty():
        return True  # nobody to ask: keep them (the safe choice)

    def ask(plan: BuildPlan) -> bool:
        question = (
            f"保留原始权重（{format_bytes(plan.estimate.download_bytes)}）吗？[Y/n] "
            if lang == "zh"
            else f"Keep the original weights ({format_bytes(plan.estimate.download_bytes)})? [Y/n] "
        )
        answer = input(question).strip().lower()
        return answer not in ("n", "no", "否")

    return ask


def run(args: argparse.Namespace) -> int:
    from app.models.build.errors import BuildError, stage_label
    from app.models.build.pipeline import Builder
    from app.models.build.state import find_builds
    from app.models.errors import ModelError

    lang: Lang = "en" if language(args.lang) == "en" else "zh"
    models = _models_dir(args)
    from app.models.registry import ModelRegistry

    registry = ModelRegistry(models)
    if args.list:
        builds = find_builds(models)
        if not builds:
            print("没有未完成的制作。" if lang == "zh" else "No unfinished builds.")
        for state in builds:
            stage = state.next_stage
            where = stage_label(stage, lang) if stage else "-"
            error = state.error_text(lang)
            print(
                f"{state.plan.key}\t{state.plan.name.get(lang)}\t{where}"
                + (f"\t{error}" if error else "")
            )
        return 0
    if args.discard:
        match = [s for s in find_builds(models) if s.plan.key == args.discard]
        if not match:
            raise CliError(f"没有这个未完成的制作 / no unfinished build {args.discard!r}")
        Builder(match[0], registry).discard()
        print("已删除。" if lang == "zh" else "Discarded.")
        return 0
    folder = Path(args.folder).expanduser().resolve() if args.folder else models
    try:
        plan = _plan(args, folder, lang)
        existing = [s for s in find_builds(models) if s.plan.key == plan.key]
        if existing:
            plan = existing[0].plan
            print("继续未完成的制作：" if lang == "zh" else "Resuming the unfinished build:")
        for line in plan.describe(lang):
            print(line)
        if not existing and not args.yes:
            if not sys.stdin.isatty():
                raise CliError("需要确认：加 --yes 开始 / add --yes to start without a terminal")
            prompt = "开始制作？[y/N] " if lang == "zh" else "Start the build? [y/N] "
            if input(prompt).strip().lower() not in ("y", "yes", "是"):
                return 0
        builder = Builder.start(
            plan, registry, keep_original=_keep_original(args, lang), threads=args.threads
        )
    except (BuildError, ModelError) as exc:
        print(f"shijian: {exc.message(lang)}", file=sys.stderr)
        return 1
    return _run_build(builder, lang)


def _run_build(builder: Builder, lang: Lang) -> int:
    from app.models.build.errors import BuildPaused
    from app.models.errors import ModelError

    display = ProgressDisplay(sys.stderr, lang)
    cancel = threading.Event()
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["model"] = builder.run(display, cancel)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="build", daemon=True).start()
    # Event.wait, not Thread.join: a join interrupted by Ctrl-C can report a thread that
    # is still running as finished (CPython 3.11).
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        cancel.set()
        finished.wait()
    display.end()
    error = outcome.get("error")
    if isinstance(error, BuildPaused):
        print(error.message(lang), file=sys.stderr)
        return 130
    if isinstance(error, ModelError):
        print(f"shijian: {error.message(lang)}", file=sys.stderr)
        return 1
    if error is not None:
        raise error
    model = outcome["model"]
    done = "已制作并登记" if lang == "zh" else "Built and registered"
    print(f"{done}: {model.key}  {model.path}")
    if model.provenance:
        print(f"SHA-256 {model.provenance.get('sha256', '')}")
    return 0
