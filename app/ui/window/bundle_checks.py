"""More ``shijian --self-test`` steps: the bundle-level checks.

:mod:`app.ui.window.self_test` opens the window, saves and reads a poem and
a draft; these steps add what a packaged build most often gets wrong:

* ``checker verdict`` — 王之涣《登鹳雀楼》 through the real rhyme book and checker:
  a 五绝, 仄起, rhyming in 下平十一尤, no errors; the same poem with 流 turned into
  深 must give exactly one error, 出韵 at 楼.
* ``bundled files`` — the model catalog (models.toml), the bigram table and the
  icons are where :mod:`app.bundled` looks for them.
* ``imports`` — the packages the app imports only when first used (the model
  hub client, the pinyin guesser, the decoding constraints) are present.
* ``llama.cpp`` / ``GPU offload`` — llama-cpp-python's version, the library file
  it loaded, whether this build can offload to a GPU, and the GPUs ggml (or
  ``nvidia-smi``) sees: the CPU and CUDA bundles are told apart here.
* ``engine process`` — the inference engine starts as its own process (a
  bundle runs its own executable with ``-m app.engine.worker``) and answers.

Every step reports through the ``step(name, ok, detail)`` callback of the
window self-test, so all lines share one format and one verdict.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Step = Callable[[str, bool, str], bool]

KNOWN_POEM = "白日依山尽\n黄河入海流\n欲穷千里目\n更上一层楼"
BROKEN_POEM = "白日依山尽\n黄河入海深\n欲穷千里目\n更上一层楼"

# Imported lazily by the app (never at start-up), so a bundle could miss them unnoticed.
LAZY_IMPORTS = (
    "huggingface_hub",
    "huggingface_hub.file_download",
    "pypinyin",
    "sqlalchemy",
    "numpy",
    "jinja2",
    "app.engine.client",
    "app.models.download",
    "app.compose.constraint",
)


@dataclass(frozen=True)
class GpuInfo:
    name: str
    description: str
    total_bytes: int


@dataclass(frozen=True)
class BackendReport:
    """What llama-cpp-python in this installation can do."""

    version: str
    library: str  # the libllama file loaded
    gpu_offload: bool  # llama_supports_gpu_offload()
    devices: list[GpuInfo] = field(default_factory=list)  # GPUs ggml (or nvidia-smi) sees
    system_info: str = ""  # llama_print_system_info(): CPU features, backends

    @property
    def build(self) -> str:
        return "CUDA/GPU" if self.gpu_offload else "CPU"

    def offload_line(self) -> str:
        gpus = ", ".join(f"{d.description or d.name} ({d.total_bytes / 2**30:.0f} GiB)"
                         for d in self.devices)  # fmt: skip
        if self.gpu_offload and self.devices:
            return f"available — {gpus}"
        if self.gpu_offload:
            return "GPU build, but no GPU found: the model runs on the CPU"
        if self.devices:
            return f"not available — CPU build; this machine has {gpus}: take the CUDA build"
        return "not available — CPU build, no GPU found"


def probe_backend() -> BackendReport:
    """Load llama-cpp-python here and ask it; raises ImportError/OSError when broken."""
    import llama_cpp

    from app.engine.offload import list_gpu_devices

    llama_cpp.llama_backend_init()
    lib = getattr(llama_cpp.llama_cpp, "_lib", None)
    raw_info = llama_cpp.llama_print_system_info()
    info = raw_info.decode("utf-8", "replace") if isinstance(raw_info, bytes) else str(raw_info)
    devices = [GpuInfo(d.name, d.description, d.total) for d in list_gpu_devices()]
    return BackendReport(
        version=str(getattr(llama_cpp, "__version__", "?")),
        library=str(getattr(lib, "_name", "?")),
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
        devices=devices,
        system_info=" ".join(info.split()),
    )


def check_verdict(step: Step) -> None:
    from app.prosody.checker import Checker
    from app.prosody.findings import Rule, Severity
    from app.prosody.forms import Form
    from app.prosody.rhymebook import RhymeBook

    checker = Checker(RhymeBook.load())
    good = checker.analyze(KNOWN_POEM)
    errors = [f for f in good.findings if f.severity is Severity.ERROR]
    group = good.rhyme_group.name if good.rhyme_group is not None else "?"
    step(
        "checker verdict",
        good.form is Form.WUJUE and group == "下平十一尤" and not errors,
        f"登鹳雀楼: {good.summary_zh}",
    )
    bad = checker.analyze(BROKEN_POEM)
    bad_errors = [f for f in bad.findings if f.severity is Severity.ERROR]
    caught = [(f.rule, f.line, f.char) for f in bad_errors]
    step(
        "checker catches 出韵",
        caught == [(Rule.CHU_YUN, 3, "楼")],
        "; ".join(f.message("zh") for f in bad_errors) or "no error found",
    )


def check_bundled_files(step: Step) -> None:
    from app.bundled import resource, resource_root
    from app.models.catalog import load_catalog

    catalog = load_catalog()
    icon = resource("icons", "shijian-256.png")
    bigrams = resource("prosody", "bigrams.tsv")
    ok = len(catalog) > 0 and icon.is_file() and bigrams.is_file()
    step("bundled files", ok, f"{resource_root()}; {len(catalog)} catalog models")


def check_imports(step: Step) -> None:
    missing = []
    for name in LAZY_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
    step("imports", not missing, "missing: " + ", ".join(missing) if missing else "")


def check_backend(step: Step) -> BackendReport | None:
    try:
        report = probe_backend()
    except (ImportError, OSError, AttributeError) as exc:
        step("llama.cpp", False, f"llama-cpp-python does not load: {type(exc).__name__}: {exc}")
        return None
    step("llama.cpp", True, f"llama_cpp {report.version}, {report.build} build, {report.library}")
    step("GPU offload", True, report.offload_line())
    if report.system_info:
        step("llama.cpp system", True, report.system_info)
    return report


def check_engine_process(step: Step, backend: BackendReport | None, timeout_s: float) -> None:
    from app.engine.client import EngineClient

    client = EngineClient(start_timeout_s=timeout_s)
    started = time.monotonic()
    try:
        client.start()
        answered = client.ping(timeout=timeout_s)
        offload = client.gpu_offload_supported
        ms = (time.monotonic() - started) * 1000
        agrees = backend is None or backend.gpu_offload == offload
        step(
            "engine process",
            answered and agrees,
            f"pid {client.pid}, ready and answering in {ms:.0f} ms, gpu_offload={offload}",
        )
    except Exception as exc:  # a self-test reports, it does not crash
        step("engine process", False, f"{type(exc).__name__}: {exc}")
    finally:
        client.stop()


def run_bundle_steps(step: Step, *, engine_timeout_s: float = 60.0) -> None:
    """The steps above, in order; each reports through ``step``."""
    for check in (check_verdict, check_bundled_files, check_imports):
        try:
            check(step)
        except Exception as exc:
            step(check.__name__.removeprefix("check_").replace("_", " "), False, repr(exc))
    backend = check_backend(step)
    check_engine_process(step, backend, engine_timeout_s)
