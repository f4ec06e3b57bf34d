"""Reading a text file someone wrote: one reader for the command line and the grader.

:func:`decode_text` turns bytes into text and says which encoding it was, or why
the bytes are not a text file. A byte-order mark decides (UTF-8, UTF-16 LE/BE,
UTF-32); without one, strict UTF-8, then GB18030 (which includes GBK and GB2312)
when the result reads as Chinese text; UTF-16 without a mark is recognised by its
zero bytes. Known binary formats (PDF, images, Word, zip …) and any other bytes
that decode to control characters are refused with the reason.

:func:`read_text_file` reads a path with the same rules and explains, in Chinese
and English, a missing file, a folder, an unreadable file and one too large to be
a poem. Nothing here raises for bad content.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.prosody.text import is_han
from app.storage.messages import Message

__all__ = ["MAX_BYTES", "Decoded", "decode_text", "read_text_file"]

MAX_BYTES = 256 * 1024  # a poem is a few hundred bytes; anything this big is not one

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"PK\x03\x04", "ZIP / Word (.docx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word 97–2003 (.doc)"),
    (b"{\\rtf", "RTF"),
    (b"SQLite format 3\x00", "SQLite"),
    (b"\x7fELF", "ELF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"\x1f\x8b", "gzip"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its LE mark starts like UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32",
    "gb18030": "GB18030/GBK",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    """The result of :func:`decode_text`: text and its encoding, or why not."""

    text: str | None
    encoding: str = ""  # a display name: UTF-8, UTF-8 (BOM), GB18030/GBK, UTF-16 LE …
    problem: Message | None = None


def _unreadable(zh: str, en: str) -> Decoded:
    return Decoded(None, "", Message(zh, en))


def _controls(text: str) -> int:
    """Characters no text file has: C0/C1 controls (but tab, newlines, form feed), NUL."""
    return sum(
        1
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v") or ch == "\ufffd"
    )


def _reads_as_chinese(text: str) -> bool:
    """Plausible Chinese text: no controls or private-use characters, mostly Han/punctuation."""
    if _controls(text):
        return False
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return True
    if any(unicodedata.category(ch) == "Co" for ch in visible):
        return False
    han = sum(1 for ch in visible if is_han(ch))
    cjk_punct = sum(
        1 for ch in visible if 0x3000 <= ord(ch) <= 0x303F or 0xFF00 <= ord(ch) <= 0xFFEF
    )
    return han > 0 and (han + cjk_punct) * 2 >= len(visible)


def decode_text(data: bytes) -> Decoded:
    """Decode a submitted file (see the module docstring); never raises."""
    if not data:
        return Decoded("", "UTF-8")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                name = _ENCODING_NAMES.get(codec, codec)
                return _unreadable(
                    f"文件开头标明是 {name} 编码，但内容不是有效的 {name} 文本。",
                    f"The file starts with a {name} byte-order mark but is not valid {name}.",
                )
            if _controls(text):
                break  # a "mark" followed by binary: fall through to the binary checks
            return Decoded(text, _ENCODING_NAMES.get(codec, codec))
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return _unreadable(
                f"这不是纯文本文件（看起来是 {kind} 文件）。请另存为 .txt 纯文本再交。",
                f"This is not a plain-text file (it looks like {kind}). Save it as .txt.",
            )
    if b"\x00" in data:
        if len(data) % 2 == 0:
            for codec in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError:
                    continue
                if _reads_as_chinese(text):
                    return Decoded(text, _ENCODING_NAMES[codec])
        return _unreadable(
            "文件含有二进制数据，不是文本文件。",
            "The file contains binary data; it is not a text file.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not _controls(text):
            return Decoded(text, "UTF-8")
        return _unreadable(
            "文件含有控制字符，不是文本文件。",
            "The file contains control characters; it is not a text file.",
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(text):
        return Decoded(text, "GB18030/GBK")
    return _unreadable(
        "无法识别文件的编码（不是 UTF-8、UTF-16 或 GBK 文本）。请用 UTF-8 另存后再交。",
        "The file's encoding is not recognised (not UTF-8, UTF-16 or GBK text). "
        "Save it as UTF-8 and hand it in again.",
    )


def read_text_file(path: Path, *, max_bytes: int | None = MAX_BYTES) -> Decoded:
    """Read and decode ``path``; ``problem`` says (zh/en) why not. Never raises.

    At most ``max_bytes`` are read, whatever the file claims to be (a device or a
    file still growing ends at the limit, not in memory exhaustion)."""
    shown = str(path)
    if not shown or shown == ".":
        return _unreadable("没有给出文件名。", "No file name was given.")
    try:
        if path.is_dir():
            return _unreadable(
                f"「{shown}」是文件夹，不是文件。", f"{shown} is a folder, not a file."
            )
        with path.open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except FileNotFoundError:
        return _unreadable(f"找不到文件：{shown}", f"File not found: {shown}")
    except OSError as exc:
        why = exc.strerror or str(exc)
        return _unreadable(f"无法读取文件 {shown}：{why}", f"Cannot read {shown}: {why}")
    if max_bytes is not None and len(data) > max_bytes:
        return _unreadable(
            f"文件太大（超过 {_kb(max_bytes)}），不像一首诗：{shown}",
            f"The file is too large (over {_kb(max_bytes)}) to be a poem: {shown}",
        )
    return decode_text(data)


def _kb(n: int) -> str:
    return f"{n // 1024} KB" if n < 10 * 1024 * 1024 else f"{n // (1024 * 1024)} MB"
