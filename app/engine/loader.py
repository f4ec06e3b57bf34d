"""Load a GGUF model into llama-cpp-python (inside the engine process).

Checks before llama.cpp sees the file (so the poet reads "file not found" or
"not a GGUF file", not a C++ log line), reads the model's shape from its GGUF
header (which also rejects truncated or absurd files), plans the GPU offload,
loads, and falls back to the CPU when a GPU load fails with an exception. (A
GPU load that *aborts* the process is the client's to handle: it restarts the
engine and asks for the CPU.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine.chat_template import ChatRenderer, tolerant_template_compilation
from app.engine.events import LoadedInfo
from app.engine.offload import OffloadPlan, ShapeError, list_gpu_devices, plan_offload, read_shape
from app.engine.requests import LoadConfig

__all__ = ["LoadedModel", "ModelLoadError", "load_model"]

MiB = 1024 * 1024


class ModelLoadError(Exception):
    """A model could not be loaded; carries a code and both messages."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


@dataclass
class LoadedModel:
    llama: Any  # llama_cpp.Llama
    info: LoadedInfo
    render: ChatRenderer
    abort_flag: threading.Event
    abort_callback: Any  # keeps the ctypes callback alive as long as the model


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelLoadError("missing", f"找不到模型文件：{path}", f"model file not found: {path}")
    if not path.is_file():
        raise ModelLoadError("missing", f"不是文件：{path}", f"not a file: {path}")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelLoadError(
            "unreadable", f"无法读取模型文件：{path}（{exc}）", f"cannot read {path}: {exc}"
        ) from exc
    if magic != b"GGUF":
        raise ModelLoadError(
            "not_gguf",
            f"不是 GGUF 模型文件：{path.name}",
            f"not a GGUF model file: {path.name}",
        )


def _construct(cfg: LoadConfig, plan: OffloadPlan) -> Any:
    import llama_cpp

    # A chat template llama-cpp-python cannot compile must not fail the load: the prompt
    # is rendered by ChatRenderer, which falls back to ChatML and says so.
    with tolerant_template_compilation():
        return llama_cpp.Llama(
            model_path=cfg.model_path,
            n_ctx=cfg.n_ctx,
            n_batch=cfg.n_batch,
            n_ubatch=cfg.n_batch,
            n_gpu_layers=plan.n_gpu_layers,
            flash_attn=plan.flash_attn,
            n_threads=cfg.n_threads,
            verbose=True,  # llama.cpp's log goes to stderr, which the client keeps
        )


def _failed(path: Path, exc: BaseException) -> ModelLoadError:
    detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
    return ModelLoadError(
        "corrupt",
        f"llama.cpp 无法加载模型 {path.name}：{detail}。文件可能已损坏，或不是本程序支持的模型。",
        f"llama.cpp could not load {path.name}: {detail}. The file may be damaged, or not a "
        "model this app supports.",
    )


def load_model(cfg: LoadConfig) -> LoadedModel:
    """Load ``cfg.model_path``; raise :class:`ModelLoadError` with a clear message."""
    import llama_cpp

    started = time.perf_counter()
    path = Path(cfg.model_path)
    _check_file(path)
    try:
        shape = read_shape(path)
    except ShapeError as exc:
        raise ModelLoadError("corrupt", exc.zh, exc.en) from exc
    gpu_build = bool(llama_cpp.llama_supports_gpu_offload())
    devices = list_gpu_devices() if gpu_build else []
    plan = plan_offload(
        cfg.n_gpu_layers,
        gpu_build=gpu_build,
        devices=devices,
        shape=shape,
        n_ctx=cfg.n_ctx,
        n_batch=cfg.n_batch,
        reserve=cfg.vram_reserve_mb * MiB,
        flash_attn=cfg.flash_attn,
    )
    reason_zh, reason_en = plan.reason_zh, plan.reason_en
    try:
        llama = _construct(cfg, plan)
    except Exception as exc:  # whatever llama-cpp-python raises, the load gets an answer
        if plan.n_gpu_layers == 0:
            raise _failed(path, exc) from exc
        cpu_plan = plan_offload(
            0,
            gpu_build=gpu_build,
            devices=devices,
            shape=shape,
            n_ctx=cfg.n_ctx,
            n_batch=cfg.n_batch,
            flash_attn=False if cfg.flash_attn == "auto" else cfg.flash_attn,
        )
        try:
            llama = _construct(cfg, cpu_plan)
        except Exception as exc2:
            raise _failed(path, exc2) from exc2
        reason_zh = f"GPU 加载失败（{exc}），已改用 CPU"
        reason_en = f"loading on the GPU failed ({exc}); fell back to the CPU"
        plan = cpu_plan

    abort_flag = threading.Event()
    callback: Any = None
    if cfg.cooperative_cancel:
        callback = llama_cpp.ggml_abort_callback(lambda _data: abort_flag.is_set())
        llama_cpp.llama_set_abort_callback(llama.ctx, callback, None)

    template = cfg.chat_template
    template_kind = "custom" if template else "gguf"
    if not template:
        template = llama.metadata.get("tokenizer.chat_template") or None
    bos = eos = ""
    try:
        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        eos = llama._model.token_get_text(eos_id) if eos_id >= 0 else ""
        bos = llama._model.token_get_text(bos_id) if bos_id >= 0 else ""
    except (AttributeError, RuntimeError):
        pass
    render = ChatRenderer(template, bos_token=bos, eos_token=eos)
    notice_zh = notice_en = ""
    if render.kind == "chatml":
        template_kind = "chatml"
    if render.problem:
        whose_zh = "设置中的对话模板" if cfg.chat_template else "模型自带的对话模板"
        whose_en = (
            "The chat template in the settings"
            if cfg.chat_template
            else ("The model's own chat template")
        )
        notice_zh = f"{whose_zh}无法使用（{render.problem}），已改用本程序的 ChatML 模板。"
        notice_en = (
            f"{whose_en} does not work ({render.problem}); using the app's own ChatML "
            "template instead."
        )

    info = LoadedInfo(
        model_path=str(path),
        backend=plan.backend,
        n_gpu_layers=plan.n_gpu_layers,
        n_layers=int(llama_cpp.llama_model_n_layer(llama.model)),
        n_ctx=int(llama.n_ctx()),
        flash_attn=plan.flash_attn,
        reason_zh=reason_zh,
        reason_en=reason_en,
        free_vram=plan.free_vram,
        memory=plan.memory,
        load_ms=(time.perf_counter() - started) * 1000.0,
        chat_template=template_kind,
        llama_cpp_version=str(getattr(llama_cpp, "__version__", "")),
        notice_zh=notice_zh,
        notice_en=notice_en,
    )
    return LoadedModel(llama, info, render, abort_flag, callback)
