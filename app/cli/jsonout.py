"""JSON written as it is produced, so a long text's report never sits in memory whole.

``write_json(value, out)`` writes ``value`` indented by two spaces, like
``json.dumps(value, ensure_ascii=False, indent=2)``, with one difference that makes long
reports cheap: a list may be given as an iterator (a generator of per-line or
per-finding objects), and then

* its items are made, encoded and written one at a time — the memory used is that of one
  item and a block of about 64 KB of text, not that of the whole report (``json.dumps``
  with ``indent`` builds a list of every small piece, then one string of the whole);
* each item goes on one line of its own, encoded by the json module's C encoder
  (``json.dumps`` with ``indent`` encodes in Python, several times slower) — unless the
  item itself holds an iterator, which is then laid out the same way.

A value without iterators comes out exactly as ``json.dumps(..., indent=2)`` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

_BLOCK = 1 << 16


def _materialise(value: object) -> object:
    # an iterator deeper inside a value written whole: made into a list there
    if isinstance(value, Iterator):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_one_line = json.JSONEncoder(ensure_ascii=False, default=_materialise).encode
_indented = json.JSONEncoder(ensure_ascii=False, indent=2, default=_materialise).encode


def write_json(value: object, out: TextIO) -> None:
    """Write ``value`` as JSON followed by a newline; iterators inside are consumed lazily."""
    block: list[str] = []
    size = 0
    for chunk in _chunks(value, 0):
        block.append(chunk)
        size += len(chunk)
        if size >= _BLOCK:
            out.write("".join(block))
            block.clear()
            size = 0
    block.append("\n")
    out.write("".join(block))


_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple})


def _lazy(value: object) -> bool:
    return type(value) not in _PLAIN and isinstance(value, Iterator)


def _holds_lazy(value: object) -> bool:
    if isinstance(value, dict):
        return any(map(_lazy, value.values()))
    if isinstance(value, (list, tuple)):
        return any(map(_lazy, value))
    return _lazy(value)


def _chunks(value: object, level: int) -> Iterator[str]:
    pad = "  " * level
    if isinstance(value, Iterator):
        sep = "[\n" + pad + "  "
        for item in value:
            yield sep
            if _holds_lazy(item):
                yield from _chunks(item, level + 1)
            else:
                yield _one_line(item)
            sep = ",\n" + pad + "  "
        yield "[]" if sep[0] == "[" else "\n" + pad + "]"
    elif isinstance(value, dict) and _holds_lazy(value):
        sep = "{\n" + pad + "  "
        for key, item in value.items():
            yield sep + _one_line(_key(key)) + ": "
            yield from _chunks(item, level + 1)
            sep = ",\n" + pad + "  "
        yield "\n" + pad + "}"
    elif isinstance(value, (list, tuple)) and _holds_lazy(value):
        sep = "[\n" + pad + "  "
        for item in value:
            yield sep
            yield from _chunks(item, level + 1)
            sep = ",\n" + pad + "  "
        yield "\n" + pad + "]"
    else:
        text = _indented(value)
        yield text.replace("\n", "\n" + pad) if level and "\n" in text else text


def _key(key: object) -> str:
    # the way json.dumps turns keys that are numbers, booleans or None into strings
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return _one_line(key)
    return str(key)
