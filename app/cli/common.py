"""Shared pieces of the command line: reading input, messages, language."""

from __future__ import annotations

import contextlib
import locale
import os
import sys
from pathlib import Path

from app.prosody.text import is_han


class CliError(Exception):
    """Bad input: printed as one clear line, exit status 2."""


def configure_stdio() -> None:
    """Poems are UTF-8 whatever the terminal's locale says; never crash on encoding."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8", errors="replace")


def language(explicit: str | None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("SHIJIAN_LANG") or os.environ.get("LANG") or ""
    if not env:
        env = locale.getlocale()[0] or ""
    return "en" if env.lower().startswith("en") else "zh"


def read_text_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"找不到文件 / file not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"这是文件夹，不是文件 / is a folder, not a file: {path}") from None
    except OSError as exc:
        raise CliError(f"无法读取 / cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"文件不是 UTF-8 编码 / not UTF-8 text: {path} (byte {exc.start}); "
            "请另存为 UTF-8 / save it as UTF-8"
        ) from None


def read_poem_argument(value: str | None, file: str | None) -> str:
    """``--file F``, an argument that names an existing file, ``-`` / piped stdin, or text."""
    if file:
        return read_text_file(Path(file))
    if value is None or value == "-":
        if value is None and sys.stdin.isatty():
            raise CliError("没有诗 / no poem given: pass the text, a file, or pipe it in (-)")
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CliError(f"标准输入不是 UTF-8 / stdin is not UTF-8 (byte {exc.start})") from None
    if not any(is_han(ch) for ch in value):
        # No Chinese at all: it can only be meant as a file name.
        return read_text_file(Path(value))
    if len(value) < 4096 and "\n" not in value:
        candidate = Path(value)
        try:
            if candidate.is_file():
                return read_text_file(candidate)
        except OSError:
            pass
    return value
