"""The original tokenizer, as ``tokenizer.json`` defines it, in plain Python.

The build's verify stage asks: does the GGUF tokenize a set of texts the way the
original model's tokenizer does? This module is the "original" side, written from the
definition of a Hugging Face byte-level BPE tokenizer, without the ``tokenizers``
package:

1. added tokens (special or not) are cut out of the text first, longest first;
2. the normalizer (NFC/NFKC/NFD/NFKD or a sequence of them; none) runs on the rest;
3. the pre-tokenizer's split expression cuts each piece into words (matches and the
   gaps between them both count, "Isolated" behaviour); its ``\\p{L}``/``\\p{N}``
   classes, which Python's ``re`` lacks, are spelled out as explicit ranges built from
   :mod:`unicodedata`;
4. each word's UTF-8 bytes become the 256 printable stand-ins of byte-level BPE;
5. merges apply lowest rank first until none applies; each symbol is a vocabulary id.

Python's Unicode tables may be a version apart from the Rust ones; texts made of
characters that are new in the later version could differ. The verify stage uses
texts that are not affected.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, cast

from app.convert.errors import ConvertError
from app.convert.vocab import split_expression

_NORMAL_FORMS = ("NFC", "NFKC", "NFD", "NFKD")
NormalForm = Literal["NFC", "NFKC", "NFD", "NFKD"]


def _form(name: str) -> NormalForm:
    return cast(NormalForm, name)


@functools.lru_cache(maxsize=1)
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's table: every byte as a printable character."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


# Letters and numbers end in plane 3 (CJK extensions); planes 4-16 hold none (tags,
# variation selectors, private use), so the scan stops here.
_LAST_LETTER_OR_NUMBER = 0x3FFFF


@functools.lru_cache(maxsize=4)
def _category_ranges(prefix: str) -> str:
    """A character-class body matching every code point whose category starts with ``prefix``."""
    parts: list[str] = []
    start = -1
    for cp in range(_LAST_LETTER_OR_NUMBER + 2):
        inside = cp <= _LAST_LETTER_OR_NUMBER and unicodedata.category(chr(cp)).startswith(prefix)
        if inside and start < 0:
            start = cp
        elif not inside and start >= 0:
            end = cp - 1
            parts.append(f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}")
            start = -1
    return "".join(parts)


def translate_regex(expression: str) -> str:
    """Rust/Oniguruma ``\\p{L}``, ``\\p{N}`` → explicit ranges Python's ``re`` understands."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(expression):
        ch = expression[i]
        if ch == "\\" and expression.startswith(("\\p{", "\\P{"), i):
            close = expression.index("}", i)
            name = expression[i + 3 : close]
            if expression[i + 1] == "P" or name not in ("L", "N"):
                raise ConvertError(
                    f"分词表达式中的 \\p{{{name}}} 无法复现。",
                    f"The split expression's \\p{{{name}}} cannot be reproduced.",
                )
            body = _category_ranges(name)
            out.append(body if in_class else f"[{body}]")
            i = close + 1
            continue
        if ch == "\\" and i + 1 < len(expression):
            out.append(expression[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


class ReferenceTokenizer:
    """Encode text the way a byte-level BPE ``tokenizer.json`` defines it."""

    def __init__(self, tokenizer: dict[str, Any]) -> None:
        model = tokenizer.get("model") or {}
        if model.get("type") != "BPE" or model.get("byte_fallback"):
            raise ConvertError("不是字节级 BPE 分词器。", "Not a byte-level BPE tokenizer.")
        self.vocab: dict[str, int] = dict(model["vocab"])
        self.ignore_merges = bool(model.get("ignore_merges", False))
        self.ranks: dict[tuple[str, str], int] = {}
        for rank, item in enumerate(model.get("merges") or []):
            pair = tuple(item.split(" ", 1)) if isinstance(item, str) else tuple(item)
            if len(pair) == 2:
                self.ranks.setdefault((pair[0], pair[1]), rank)
        self.added: dict[str, int] = {}
        for added in tokenizer.get("added_tokens") or []:
            self.added[str(added["content"])] = int(added["id"])
        self.normal_forms = self._normalizer(tokenizer.get("normalizer"))
        _pre, expression = split_expression(tokenizer)
        self.split = re.compile(translate_regex(expression))
        self.bytes = byte_to_unicode()
        if self.added:
            alternatives = sorted(self.added, key=len, reverse=True)
            self.added_re: re.Pattern[str] | None = re.compile(
                "|".join(re.escape(a) for a in alternatives)
            )
        else:
            self.added_re = None
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_folder(cls, folder: Path) -> ReferenceTokenizer:
        data = json.loads((Path(folder) / "tokenizer.json").read_text(encoding="utf-8"))
        return cls(data)

    @staticmethod
    def _normalizer(spec: Any) -> tuple[str, ...]:
        if not spec:
            return ()
        kind = spec.get("type")
        if kind in _NORMAL_FORMS:
            return (str(kind),)
        if kind == "Sequence":
            forms: list[str] = []
            for step in spec.get("normalizers") or []:
                forms.extend(ReferenceTokenizer._normalizer(step))
            return tuple(forms)
        raise ConvertError(
            f"无法复现分词器的规范化步骤 {kind}。",
            f"The tokenizer's normalizer {kind} cannot be reproduced.",
        )

    def _pieces(self, text: str) -> Iterator[tuple[str, bool]]:
        """(text, is_added_token) pieces."""
        if self.added_re is None:
            yield text, False
            return
        position = 0
        for match in self.added_re.finditer(text):
            if match.start() > position:
                yield text[position : match.start()], False
            yield match.group(0), True
            position = match.end()
        if position < len(text):
            yield text[position:], False

    def _words(self, text: str) -> Iterator[str]:
        position = 0
        for match in self.split.finditer(text):
            if match.start() > position:
                yield text[position : match.start()]
            if match.end() > match.start():
                yield match.group(0)
            position = match.end()
        if position < len(text):
            yield text[position:]

    def _bpe(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if self.ignore_merges and word in self.vocab:
            result: tuple[int, ...] = (self.vocab[word],)
        else:
            symbols = list(word)
            ranks = self.ranks
            while len(symbols) > 1:
                best_rank = None
                best: tuple[str, str] | None = None
                for pair in itertools.pairwise(symbols):
                    rank = ranks.get(pair)
                    if rank is not None and (best_rank is None or rank < best_rank):
                        best_rank, best = rank, pair
                if best is None:
                    break
                merged: list[str] = []
                i = 0
                while i < len(symbols):
                    if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                        merged.append(symbols[i] + symbols[i + 1])
                        i += 2
                    else:
                        merged.append(symbols[i])
                        i += 1
                symbols = merged
            try:
                result = tuple(self.vocab[s] for s in symbols)
            except KeyError as exc:
                raise ConvertError(
                    f"分词器词表中没有符号 {exc.args[0]!r}。",
                    f"The tokenizer's vocabulary lacks the symbol {exc.args[0]!r}.",
                ) from None
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece, is_added in self._pieces(text):
            if is_added:
                ids.append(self.added[piece])
                continue
            for form in self.normal_forms:
                piece = unicodedata.normalize(_form(form), piece)  # noqa: PLW2901
            for word in self._words(piece):
                mapped = "".join(self.bytes[b] for b in word.encode("utf-8"))
                ids.extend(self._bpe(mapped))
        return ids
