"""The engine process: ``python -m app.engine.worker``.

Hosts one llama-cpp-python model and serves the JSON Lines protocol described
in :mod:`app.engine.protocol`. Inference lives in its own process because
llama.cpp aborts the whole process on some failures (a CUDA out-of-memory);
the editor must survive that.

Threads: the main thread runs commands one at a time (load, generate, …); a
reader thread reads stdin, so a ``cancel`` takes effect at once — it sets the
event the token loop checks after every token and llama.cpp's abort callback
checks inside a batch. End of stdin (the window went away) ends the process.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import sys
import threading
import time
import traceback
from typing import Any

from app.engine.loader import LoadedModel, ModelLoadError, load_model
from app.engine.protocol import PROTOCOL_VERSION, ProtocolError, decode, encode
from app.engine.requests import GenerateRequest, LoadConfig
from app.engine.thinking import (
    BudgetedSource,
    ThinkTracker,
    render_prompt,
    thinking_open,
    with_thinking,
)

__all__ = ["main"]


class ProtocolWriter:
    """Writes protocol lines to a private descriptor, one ``os.write`` per line."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._lock:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]


def _log(msg: str) -> None:
    print(f"[engine] {msg}", file=sys.stderr, flush=True)


class Worker:
    def __init__(self, out: ProtocolWriter) -> None:
        self.out = out
        self.model: LoadedModel | None = None
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._current: str | None = None
        self._cancelled: set[str] = set()
        self._cancel_event = threading.Event()
        # The constraint module's per-model tables (vocabulary masks), kept while the
        # model stays loaded; see app.compose.constraint.factory_for.
        self._constraints: Any = None

    # ------------------------------------------------------------ reader thread
    def read_commands(self, stream: Any) -> None:
        for raw in stream:
            if not raw.strip():
                continue
            try:
                msg = decode(raw)
            except ProtocolError as exc:
                _log(f"ignored a bad command line: {exc}")
                continue
            if msg.get("op") == "cancel":
                self.cancel(str(msg.get("id", "")))
            else:
                self.commands.put(msg)
        self.commands.put({"op": "shutdown"})  # stdin closed: the window is gone

    def cancel(self, request_id: str) -> None:
        with self._lock:
            self._cancelled.add(request_id)
            if request_id == self._current:
                self._cancel_event.set()
                if self.model is not None:
                    self.model.abort_flag.set()

    # ------------------------------------------------------------ main thread
    def serve(self) -> int:
        while True:
            msg = self.commands.get()
            op = msg.get("op")
            try:
                if op == "shutdown":
                    return 0
                if op == "load":
                    self.do_load(msg)
                elif op == "generate":
                    self.do_generate(msg)
                elif op == "unload":
                    self.model = None
                    self._constraints = None
                    self.out.send({"ev": "unloaded"})
                elif op == "ping":
                    self.out.send({"ev": "pong", "id": msg.get("id")})
                else:
                    _log(f"unknown op {op!r}")
            except Exception as exc:  # keep serving, and the request still gets its answer
                _log(traceback.format_exc())
                self._answer_failure(msg, exc)

    def _answer_failure(self, msg: dict[str, Any], exc: Exception) -> None:
        """The reply a load or a generation gets when something unforeseen failed."""
        what = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            if msg.get("op") == "load":
                self.out.send(
                    {
                        "ev": "load_error",
                        "id": msg.get("id"),
                        "code": "load_failed",
                        "zh": f"加载模型时出错：{what}",
                        "en": f"loading the model failed: {what}",
                    }
                )
            elif msg.get("op") == "generate":
                request = msg.get("request")
                rid = str(request.get("id", "")) if isinstance(request, dict) else ""
                self._error(rid, "engine_failed", f"推理出错：{what}", f"inference failed: {what}")

    def do_load(self, msg: dict[str, Any]) -> None:
        rid = msg.get("id")
        self.model = None  # free the old model first: two may not fit
        self._constraints = None
        try:
            cfg = LoadConfig.from_dict(msg.get("config") or {})
            _log(f"loading {cfg.model_path} (n_ctx={cfg.n_ctx}, n_gpu_layers={cfg.n_gpu_layers})")
            self.model = load_model(cfg)
        except ModelLoadError as exc:
            self.out.send(
                {"ev": "load_error", "id": rid, "code": exc.code, "zh": exc.zh, "en": exc.en}
            )
            return
        except ImportError as exc:
            self.out.send(
                {
                    "ev": "load_error",
                    "id": rid,
                    "code": "no_llama_cpp",
                    "zh": f"未安装 llama-cpp-python：{exc}",
                    "en": f"llama-cpp-python is not installed: {exc}",
                }
            )
            return
        except (TypeError, ValueError, KeyError) as exc:
            self.out.send(
                {
                    "ev": "load_error",
                    "id": rid,
                    "code": "bad_request",
                    "zh": f"加载参数有误：{exc}",
                    "en": f"bad load settings: {exc}",
                }
            )
            return
        except Exception as exc:  # anything else llama-cpp-python or a template raises
            _log(traceback.format_exc())
            self._answer_failure(msg, exc)
            return
        info = self.model.info
        _log(f"loaded: backend={info.backend} n_gpu_layers={info.n_gpu_layers} ({info.reason_en})")
        self.out.send({"ev": "loaded", "id": rid, "info": info.to_dict()})

    def _error(self, rid: str, code: str, zh: str, en: str) -> None:
        self.out.send({"ev": "error", "id": rid, "code": code, "zh": zh, "en": en})

    def do_generate(self, msg: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            req = GenerateRequest.from_dict(msg.get("request") or {})
        except (TypeError, ValueError, KeyError) as exc:
            rid = str((msg.get("request") or {}).get("id", ""))
            self._error(rid, "bad_request", f"请求格式有误：{exc}", f"bad request: {exc}")
            return
        rid = req.id
        with self._lock:
            if rid in self._cancelled:
                self._cancelled.discard(rid)
                self.out.send({"ev": "done", "id": rid, "stats": {"finish_reason": "cancelled"}})
                return
            self._current = rid
            self._cancel_event.clear()
            if self.model is not None:
                self.model.abort_flag.clear()
        try:
            self._generate(req, started)
        except Exception as exc:  # a template that fails to render, a tokenizer error …
            _log(traceback.format_exc())
            self._answer_failure(msg, exc)
        finally:
            with self._lock:
                self._current = None
                self._cancelled.discard(rid)
                self._cancel_event.clear()
                if self.model is not None:
                    self.model.abort_flag.clear()

    def _generate(self, req: GenerateRequest, started: float) -> None:
        from app.engine.generation import run_generation

        rid = req.id
        model = self.model
        if model is None:
            self._error(rid, "no_model", "尚未加载模型", "no model is loaded")
            return
        llama = model.llama
        logits_processor: Any = None
        token_source: Any = None
        spec = with_thinking(req.constraint, req) if req.constraint is not None else None
        if spec is not None:
            try:
                constraint = importlib.import_module("app.compose.constraint")
            except ImportError:
                self._error(
                    rid,
                    "no_constraint",
                    "严格格律解码模块（app.compose.constraint）尚未安装，无法按约束生成",
                    "metre-constrained decoding (app.compose.constraint) is not available",
                )
                return
            try:
                # Three hooks, the first the module provides wins:
                #   factory_for(llama, spec, current) -> a per-model factory kept here,
                #     whose token_source(spec, sampling) is the hook below;
                #   build_token_source(spec, llama, sampling) -> (tokens -> Iterator[int])
                #     the constraint runs its own sampling loop;
                #   build_logits_processor(spec, llama) -> LogitsProcessorList
                #     for Llama.generate.
                if hasattr(constraint, "factory_for"):
                    self._constraints = constraint.factory_for(llama, spec, self._constraints)
                    token_source = self._constraints.token_source(spec, req.sampling)
                elif hasattr(constraint, "build_token_source"):
                    token_source = constraint.build_token_source(spec, llama, req.sampling)
                else:
                    logits_processor = constraint.build_logits_processor(spec, llama)
            except Exception as exc:
                zh = getattr(exc, "zh", None) or f"格律约束无法建立：{exc}"
                en = getattr(exc, "en", None) or f"could not build the metre constraint: {exc}"
                self._error(rid, str(getattr(exc, "code", "constraint_failed")), zh, en)
                return
        if req.prompt is not None:
            tokens = llama.tokenize(req.prompt.encode("utf-8"), add_bos=True, special=True)
            think_open = thinking_open(req.prompt)
        else:
            try:
                text, think_open = render_prompt(model.render, req.messages, req.thinking)
            except Exception as exc:  # the model's template refused these messages
                what = f"{type(exc).__name__}: {exc}"
                self._error(
                    rid,
                    "template_failed",
                    f"模型的对话模板无法排出这次的提示：{what}",
                    f"the model's chat template could not lay out this prompt: {what}",
                )
                return
            tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if spec is None and req.think_budget is not None:
            tracker = ThinkTracker(req.think_budget, open_at_start=think_open)
            token_source = BudgetedSource(llama, req.sampling, tracker)

        def emit(text: str, n: int, forced: str = "") -> None:
            line: dict[str, Any] = {"ev": "tok", "id": rid, "t": text, "n": n}
            if forced:
                line["f"] = forced
            self.out.send(line)

        def on_start(n_prompt: int, n_cached: int) -> None:
            self.out.send(
                {
                    "ev": "started",
                    "id": rid,
                    "prompt_tokens": n_prompt,
                    "cached": n_cached,
                    "think": think_open,
                }
            )

        try:
            stats = run_generation(
                llama,
                tokens,
                req.sampling,
                req.stop,
                self._cancel_event,
                emit,
                logits_processor=logits_processor,
                token_source=token_source,
                on_start=on_start,
                started=started,
            )
        except ValueError as exc:
            if hasattr(exc, "zh") and hasattr(exc, "en"):  # a ConstraintError: no room for a poem
                self._error(rid, str(getattr(exc, "code", "too_long")), exc.zh, exc.en)
            else:
                self._error(rid, "too_long", f"提示过长：{exc}", f"prompt too long: {exc}")
            return
        except RuntimeError as exc:
            self._error(rid, "llama_error", f"推理出错：{exc}", f"inference failed: {exc}")
            return
        self.out.send({"ev": "done", "id": rid, "stats": stats.to_dict()})


def main(argv: list[str] | None = None) -> int:
    # The protocol gets a private copy of stdout; descriptor 1 becomes stderr so
    # that anything native code prints lands in the log, not in the protocol.
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = ProtocolWriter(proto_fd)
    worker = Worker(out)
    try:
        import llama_cpp

        llama_cpp.llama_backend_init()
        version = str(getattr(llama_cpp, "__version__", ""))
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
    except ImportError as exc:
        _log(f"llama-cpp-python is not installed: {exc}")
        version, gpu = "", False
    out.send(
        {
            "ev": "ready",
            "pid": os.getpid(),
            "protocol": PROTOCOL_VERSION,
            "llama_cpp": version,
            "gpu_offload": gpu,
        }
    )
    reader = threading.Thread(
        target=worker.read_commands, args=(sys.stdin.buffer,), name="engine-stdin", daemon=True
    )
    reader.start()
    code = worker.serve()
    worker.model = None
    return code


if __name__ == "__main__":
    sys.exit(main())
