"""Make the PDF's text copy out as the characters that were drawn.

Qt's PDF writer maps each embedded glyph back to *one* Unicode character for
copy-and-paste and search (the font's ``/ToUnicode`` map) and takes the lowest
code point that uses the glyph. CJK fonts share glyphs between an ideograph and
its radical (月 U+6708 and ⽉ U+2F49, 页 and ⻚ U+2EDA), so copied text came out as
radicals: 「明⽉」 where the poem says 「明月」.

:func:`fix_tounicode` rewrites each map so that a glyph maps to the character
actually drawn with it: for every target that was *not* drawn, a drawn character
with the same glyph in the same face takes its place. The corrected maps are
appended as a standard PDF incremental update (new object versions, a new
cross-reference section whose trailer points back with ``/Prev``), so the bytes
Qt wrote stay untouched. A stand-in drawn for another character (the vertical
form ︐ for ，) copies out as the character it stands for.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtGui import QRawFont

_TOUNICODE_REF = re.compile(rb"/ToUnicode\s+(\d+)\s+0\s+R")
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")


def _object_stream(data: bytes, number: int) -> tuple[bytes, bytes] | None:
    """(dictionary, decoded stream bytes) of object ``number``'s last version."""
    found = list(re.finditer(rb"(?<![0-9])%d\s+0\s+obj\s*<<(.*?)>>\s*stream\r?\n" % number,
                             data, re.S))  # fmt: skip
    if not found:
        return None
    m = found[-1]
    head = m.group(1)
    start = m.end()
    length = re.search(rb"/Length\s+(\d+)(\s+0\s+R)?", head)
    if length is None or length.group(2):
        end = data.find(b"endstream", start)
        raw = data[start:end].rstrip(b"\r\n")
    else:
        raw = data[start : start + int(length.group(1))]
    if b"/FlateDecode" in head:
        raw = zlib.decompress(raw)
    return head, raw


def _u(hexcode: bytes) -> str:
    return bytes.fromhex(hexcode.decode("ascii")).decode("utf-16-be", "replace")


def parse_cmap(cmap: bytes) -> dict[int, str]:
    """The code → Unicode text pairs of a ToUnicode CMap (bfchar and bfrange sections)."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        codes = _HEX.findall(block)
        for src, dst in zip(codes[0::2], codes[1::2], strict=False):
            out[int(src, 16)] = _u(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for m in re.finditer(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]*>)",
                             block):  # fmt: skip
            lo, hi, dst = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if dst.startswith(b"["):
                for i, d in enumerate(_HEX.findall(dst)):
                    if lo + i <= hi:
                        out[lo + i] = _u(d)
            else:
                first = _u(dst[1:-1])
                if not first:
                    continue
                base = ord(first[-1])
                for i in range(hi - lo + 1):
                    out[lo + i] = first[:-1] + chr(base + i)
    return out


def write_cmap(mapping: dict[int, str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <FFFF>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for k in range(0, len(items), 100):
        chunk = items[k : k + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        for code, text in chunk:
            lines.append(b"<%04X> <%s>" % (code, text.encode("utf-16-be").hex().upper().encode()))
        lines.append(b"endbfchar")
    lines += [
        b"endcmap",
        b"CMapName currentdict /CMap defineresource pop",
        b"end",
        b"end",
    ]
    return b"\n".join(lines) + b"\n"


def corrected(
    mapping: dict[int, str],
    drawn: set[str],
    faces: list[QRawFont],
    stand_for: dict[str, str] | None = None,
) -> dict[int, str]:
    """``mapping`` with every undrawn target replaced by the drawn character of its glyph,
    and every drawn stand-in (a vertical form) by the text it stands for."""
    by_glyph: list[dict[int, str]] = []
    for face in faces:
        table: dict[int, str] = {}
        for ch in sorted(drawn):
            glyphs = face.glyphIndexesForString(ch)
            if len(glyphs) == 1 and glyphs[0]:
                table.setdefault(glyphs[0], ch)
        by_glyph.append(table)
    out = dict(mapping)
    stand_for = stand_for or {}
    for code, text in mapping.items():
        if text in stand_for:
            out[code] = stand_for[text]
            continue
        if len(text) != 1 or text in drawn:
            continue
        for face, table in zip(faces, by_glyph, strict=True):
            glyphs = face.glyphIndexesForString(text)
            if len(glyphs) == 1 and glyphs[0] in table:
                out[code] = table[glyphs[0]]
                break
    return out


def _append_update(data: bytes, objects: dict[int, bytes]) -> bytes:
    """``data`` with ``objects`` (number → full object body) appended as an incremental update."""
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)[-1]
    keep = b""
    for key in (rb"/Root\s+\d+\s+\d+\s+R", rb"/Info\s+\d+\s+\d+\s+R", rb"/ID\s*\[[^\]]*\]"):
        m = re.search(key, trailer)
        if m:
            keep += b" " + m.group(0)
    size_m = re.search(rb"/Size\s+(\d+)", trailer)
    size = max(int(size_m.group(1)) if size_m else 0, max(objects) + 1)
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    out += b"trailer\n<< /Size %d%s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, keep, prev, xref_at)  # fmt: skip
    return bytes(out)


def fix_tounicode(
    path: Path,
    drawn: Iterable[str],
    faces: list[QRawFont],
    stand_for: dict[str, str] | None = None,
) -> int:
    """Correct the ToUnicode maps of the PDF at ``path`` in place; returns codes changed.
    ``stand_for`` maps drawn stand-ins (︐) to what they copy out as (，)."""
    data = path.read_bytes()
    drawn_set = {ch for text in drawn for ch in text}
    updates: dict[int, bytes] = {}
    changed = 0
    for number in sorted({int(n) for n in _TOUNICODE_REF.findall(data)}):
        found = _object_stream(data, number)
        if found is None:
            continue
        mapping = parse_cmap(found[1])
        fixed = corrected(mapping, drawn_set, faces, stand_for)
        diff = sum(1 for code in mapping if fixed[code] != mapping[code])
        if diff:
            body = write_cmap(fixed)
            updates[number] = b"<< /Length %d >>\nstream\n" % len(body) + body + b"endstream"
            changed += diff
    if updates:
        path.write_bytes(_append_update(data, updates))
    return changed
