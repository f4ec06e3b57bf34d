"""Shared pieces of the command line: reading input, messages, language."""

from __future__ import annotations

import argparse
import contextlib
import locale
import os
import re
import sys
from pathlib import Path
from typing import Any, BinaryIO

from app.prosody.books.kinds import BookKind
from app.prosody.text import is_han
from app.textfile import decode_text


class CliError(Exception):
    """Bad input: printed as one clear line, exit status 2."""


def count(value: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"应为 0 或正整数 / not a count (0 or more): {value!r}")
    return n


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


# The largest poem text ``check`` reads (a file, standard input or a device): far above
# any collection of poems (唐诗三百首 is 0.26 MB), low enough that the analysis and its
# report fit in memory (docs/prosody.md: about 1.6 GB at 5 MB of one unbroken line).
MAX_TEXT_BYTES = 8 * 1024 * 1024
_MB = 1024 * 1024


def _limit_text(limit: int) -> str:
    return f"{limit // _MB} MB" if limit % _MB == 0 else f"{limit:,} bytes"


def read_limited(stream: BinaryIO, name: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """At most ``limit`` bytes of ``stream``; more than that is refused with the limit
    named (``/dev/zero`` or an endless pipe ends here, not in a ``MemoryError``)."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        block = stream.read(min(1 << 20, limit + 1 - size))
        if not block:
            return b"".join(parts)
        parts.append(block)
        size += len(block)
    raise CliError(
        f"输入超过 {_limit_text(limit)} 上限 / {name} is larger than the {_limit_text(limit)} "
        "limit; 请拆成小份 / split it into smaller pieces"
    )


def stdin_bytes() -> BinaryIO:
    """Standard input as bytes; a closed one (``<&-``) is bad input, not a crash."""
    stream = sys.stdin
    if stream is None or getattr(stream, "buffer", None) is None:
        raise CliError("标准输入已关闭 / standard input is closed")
    buffer: BinaryIO = stream.buffer
    return buffer


def decode(data: bytes, name: str) -> str:
    """Text from bytes in any encoding the grader reads (:func:`app.textfile.decode_text`:
    UTF-8 with or without a mark, UTF-16/32 with a mark, GBK); a binary file is named."""
    decoded = decode_text(data)
    if decoded.text is None:
        problem = decoded.problem
        assert problem is not None
        raise CliError(f"{name}: {problem.zh} / {problem.en}")
    if not decoded.text.strip():
        raise CliError(f"{name} 是空的 / {name} is empty")
    return decoded.text


def read_text_file(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            data = read_limited(fh, str(path))
    except FileNotFoundError:
        raise CliError(f"找不到文件 / file not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"这是文件夹，不是文件 / is a folder, not a file: {path}") from None
    except OSError as exc:
        raise CliError(f"无法读取 / cannot read {path}: {exc.strerror or exc}") from None
    return decode(data, str(path))


# Text that can only be meant as a file name: a folder in it, or an extension
# (a poem may have a slash between its lines, never a file extension at its end).
_LOOKS_LIKE_PATH = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,6}$")
_HAS_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")


def read_poem_argument(value: str | None, file: str | None) -> str:
    """``--file F``, an argument that names an existing file, ``-`` / piped stdin, or text."""
    if file is not None:
        if not file.strip():
            raise CliError("没有给出文件名 / no file name was given")
        return read_text_file(Path(file))
    if value is None or value == "-":
        stream = stdin_bytes()
        if value is None and stream.isatty():
            raise CliError("没有诗 / no poem given: pass the text, a file, or pipe it in (-)")
        try:
            data = read_limited(stream, "standard input")
        except OSError as exc:
            raise CliError(
                f"无法读取标准输入 / cannot read standard input: {exc.strerror}"
            ) from None
        return decode(data, "standard input")
    if not value.strip():
        raise CliError("诗是空的 / the poem is empty: pass the text, a file, or pipe it in (-)")
    if len(value) < 4096 and "\n" not in value:
        candidate = Path(value)
        try:
            if candidate.is_file():
                return read_text_file(candidate)
        except OSError:
            pass
    if "\n" not in value and _HAS_EXTENSION.search(value.strip()):
        return read_text_file(Path(value))  # 静夜思.txt that is not there: say so
    if not any(is_han(ch) for ch in value):
        if _LOOKS_LIKE_PATH.search(value.strip()):
            return read_text_file(Path(value))  # says why: not found, a folder …
        raise CliError(
            f"没有汉字，无从检查：「{value}」既不是诗，也不是文件 / "
            f"no Chinese characters to check: {value!r} is neither a poem nor a file"
        )
    return value


BOOK_HELP = "rhyme book: pingshui (平水韵, default), xinyun (中华新韵), tongyun (中华通韵)"


def add_book_argument(parser: Any) -> None:
    parser.add_argument("--book", default="pingshui", metavar="BOOK", help=BOOK_HELP)


def book_kind(name: str | None) -> BookKind:
    """The rhyme book a ``--book`` value names (a clear error for anything else)."""
    kind = BookKind.from_name(name or "pingshui")
    if kind is None:
        raise CliError(
            f"不认识的韵书 / unknown rhyme book: {name} "
            "(pingshui 平水韵, xinyun 中华新韵, tongyun 中华通韵)"
        )
    return kind
