"""The build's child process: llama.cpp's quantizer and the verifying load, out of the window.

Run as ``python -m app.models.build.child quantize IN OUT FTYPE [--threads N]`` (FTYPE:
llama.cpp's file type number, 15 for Q4_K_M) or
``python -m app.models.build.child verify REQUEST.json``. A crash or an abort inside
llama.cpp ends this process only; the parent (:mod:`app.models.build.quantize`,
:mod:`app.models.build.verify`) reads one JSON object per line on stdout:

* quantize: ``{"event": "progress", "i": 3, "n": 339}`` per tensor (parsed from
  llama.cpp's own log line ``[   3/ 339] blk.0.attn_q.weight …``), then
  ``{"event": "done", "seconds": …}`` or ``{"event": "error", "detail": …, "disk_full": …}``;
* verify: ``{"event": "verified", "tokens": [[…]…], "generated": "…", …}``.

The process ends itself when its parent is gone (a killed window must not leave a
quantizer running).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

_PROGRESS_RE = re.compile(r"^\s*\[\s*(\d+)\s*/\s*(\d+)\s*\]")


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _watch_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _disk_full(out: Path) -> bool:
    """Did the output stop because the disk (or the allowed file size) is full?"""
    try:
        free = shutil.disk_usage(out.parent).free
    except OSError:
        return False
    if free < 64 << 20:
        return True
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        size = out.stat().st_size if out.exists() else 0
        return soft != resource.RLIM_INFINITY and size >= soft - (16 << 20)
    except (ImportError, OSError, ValueError):
        return False


def quantize(src: Path, out: Path, ftype: int, threads: int) -> int:
    import llama_cpp

    lines: list[str] = []
    buffer = [""]

    def on_log(_level: int, text: bytes | None, _user: Any) -> None:
        if not text:
            return
        buffer[0] += text.decode("utf-8", "replace")
        while "\n" in buffer[0]:
            line, buffer[0] = buffer[0].split("\n", 1)
            match = _PROGRESS_RE.match(line)  # "[  3/ 339] name - …, size = …": tensor 3 done
            if match:
                _emit({"event": "progress", "i": int(match.group(1)), "n": int(match.group(2))})
            elif line.strip():
                lines.append(line)
                del lines[:-40]

    callback = llama_cpp.llama_log_callback(on_log)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    started = time.perf_counter()
    status = llama_cpp.llama_model_quantize(
        str(src).encode("utf-8"), str(out).encode("utf-8"), ctypes.byref(params)
    )
    if status != 0:
        _emit(
            {
                "event": "error",
                "detail": "\n".join(lines[-12:]),
                "disk_full": _disk_full(out),
            }
        )
        return 1
    _emit({"event": "done", "seconds": time.perf_counter() - started})
    return 0


def verify(request_file: Path) -> int:
    import llama_cpp

    request = json.loads(request_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=request["model"],
        n_ctx=int(request.get("n_ctx", 512)),
        n_gpu_layers=0,
        n_threads=request.get("threads") or None,
        verbose=False,
    )
    loaded = time.perf_counter() - started
    tokens = [
        llm.tokenize(text.encode("utf-8"), add_bos=False, special=True) for text in request["texts"]
    ]
    out = llm.create_completion(
        request["prompt"], max_tokens=int(request.get("max_tokens", 8)), temperature=0.0
    )
    choice = out["choices"][0]  # type: ignore[index]
    _emit(
        {
            "event": "verified",
            "tokens": tokens,
            "generated": choice["text"],
            "generated_tokens": int(out["usage"]["completion_tokens"]),  # type: ignore[index]
            "n_vocab": llm.n_vocab(),
            "load_seconds": loaded,
        }
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.models.build.child")
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quantize")
    q.add_argument("src", type=Path)
    q.add_argument("out", type=Path)
    q.add_argument("ftype", type=int)
    q.add_argument("--threads", type=int, default=0)
    v = sub.add_parser("verify")
    v.add_argument("request", type=Path)
    args = parser.parse_args(argv)
    _watch_parent()
    if args.command == "quantize":
        return quantize(args.src, args.out, args.ftype, args.threads)
    return verify(args.request)


if __name__ == "__main__":
    raise SystemExit(main())
