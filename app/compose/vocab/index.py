"""A model's vocabulary sorted for strict-metre decoding, cached on disk.

Byte-level BPE vocabularies (Qwen's 151,936 tokens) hold single Han characters,
runs of several, line breaks, and pieces of one character's UTF-8 bytes. For
the poem only three kinds matter; everything else (Latin, punctuation, mixed
tokens such as a character followed by half of the next) is never allowed there:

* **text tokens** — whole Han characters and line breaks only (``春``, ``春风``,
  ``\\n``, a ``流\\n`` where a vocabulary has one);
* **lead tokens** — the first 1–3 bytes of one character, nothing else;
* **continuation tokens** — 1–3 continuation bytes (``0x80``–``0xBF``), nothing else.

The index also keeps the end-of-generation and control tokens (banned while the
model thinks). It depends on the vocabulary only, so it is built once per
vocabulary and stored under the cache folder, keyed by a hash of the vocabulary
(:func:`vocab_digest`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.prosody.text import is_han

__all__ = ["INDEX_VERSION", "VocabIndex", "utf8_len", "vocab_digest"]

INDEX_VERSION = 1


def utf8_len(lead: int) -> int:
    """Length of the UTF-8 sequence a byte starts (0: a continuation or invalid byte)."""
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _is_cont(b: int) -> bool:
    return 0x80 <= b <= 0xBF


def vocab_digest(texts: Sequence[bytes], extra: str = "") -> str:
    """A hash of a vocabulary (its token texts, in order) and anything else that
    decides how it decodes (``extra``: tokenizer type and pre-tokenizer)."""
    h = hashlib.sha256()
    h.update(f"shijian-vocab/{INDEX_VERSION}/{len(texts)}/{extra}\n".encode())
    h.update(b"\0".join(texts))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class VocabIndex:
    """Token ids of the kinds that matter to the poem (see the module docstring)."""

    n_vocab: int
    text_ids: npt.NDArray[np.int32]  # text tokens
    text_strs: tuple[str, ...]  # their text, parallel to text_ids
    lead_ids: npt.NDArray[np.int32]
    lead_bytes: tuple[bytes, ...]
    cont_ids: npt.NDArray[np.int32]
    cont_bytes: tuple[bytes, ...]
    eog_ids: npt.NDArray[np.int32]  # end of generation
    control_ids: npt.NDArray[np.int32]  # control tokens that are not end of generation
    digest: str = ""

    # ------------------------------------------------------------------ building
    @classmethod
    def from_pieces(
        cls,
        pieces: Sequence[bytes],
        *,
        eog: Sequence[int] = (),
        control: Sequence[int] = (),
        digest: str = "",
    ) -> VocabIndex:
        """Sort a vocabulary given as each token's bytes (``pieces[i]`` for token ``i``)."""
        text_ids: list[int] = []
        text_strs: list[str] = []
        lead_ids: list[int] = []
        lead_bytes: list[bytes] = []
        cont_ids: list[int] = []
        cont_bytes: list[bytes] = []
        eog_set = set(eog)
        for tid, piece in enumerate(pieces):
            if not piece or tid in eog_set:
                continue
            first = piece[0]
            if first < 0x80 and first != 0x0A:
                continue  # ASCII other than a line break: never in the poem
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                n = utf8_len(first)
                if n > len(piece) and all(_is_cont(b) for b in piece[1:]):
                    lead_ids.append(tid)
                    lead_bytes.append(piece)
                elif len(piece) <= 3 and all(_is_cont(b) for b in piece):
                    cont_ids.append(tid)
                    cont_bytes.append(piece)
                continue
            if all(ch == "\n" or is_han(ch) for ch in text):
                text_ids.append(tid)
                text_strs.append(text)
        control_only = sorted(set(control) - eog_set)
        return cls(
            n_vocab=len(pieces),
            text_ids=np.asarray(text_ids, dtype=np.int32),
            text_strs=tuple(text_strs),
            lead_ids=np.asarray(lead_ids, dtype=np.int32),
            lead_bytes=tuple(lead_bytes),
            cont_ids=np.asarray(cont_ids, dtype=np.int32),
            cont_bytes=tuple(cont_bytes),
            eog_ids=np.asarray(sorted(eog_set), dtype=np.int32),
            control_ids=np.asarray(control_only, dtype=np.int32),
            digest=digest,
        )

    @property
    def han_chars(self) -> set[str]:
        """Every Han character some text token contains."""
        out: set[str] = set()
        for text in self.text_strs:
            out.update(ch for ch in text if ch != "\n")
        return out

    @property
    def banned_while_thinking(self) -> npt.NDArray[np.int32]:
        """End-of-generation and control tokens: the thinking part may not stop the answer."""
        return np.concatenate([self.eog_ids, self.control_ids]).astype(np.int32)

    # ------------------------------------------------------------------ disk cache
    @staticmethod
    def cache_file(cache_dir: Path, digest: str) -> Path:
        return cache_dir / f"vocab-{digest[:32]}.npz"

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file renamed into place)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"version": INDEX_VERSION, "n_vocab": self.n_vocab, "digest": self.digest}
        fd, tmp = tempfile.mkstemp(prefix=".vocab-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                    text_ids=self.text_ids,
                    text=_pack([s.encode("utf-8") for s in self.text_strs]),
                    text_len=_lengths([s.encode("utf-8") for s in self.text_strs]),
                    lead_ids=self.lead_ids,
                    lead=_pack(self.lead_bytes),
                    lead_len=_lengths(self.lead_bytes),
                    cont_ids=self.cont_ids,
                    cont=_pack(self.cont_bytes),
                    cont_len=_lengths(self.cont_bytes),
                    eog_ids=self.eog_ids,
                    control_ids=self.control_ids,
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, digest: str) -> VocabIndex | None:
        """The cached index, or None when absent, stale or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta.get("version") != INDEX_VERSION or meta.get("digest") != digest:
                    return None
                texts = _unpack(data["text"], data["text_len"])
                return cls(
                    n_vocab=int(meta["n_vocab"]),
                    text_ids=data["text_ids"].astype(np.int32),
                    text_strs=tuple(b.decode("utf-8") for b in texts),
                    lead_ids=data["lead_ids"].astype(np.int32),
                    lead_bytes=tuple(_unpack(data["lead"], data["lead_len"])),
                    cont_ids=data["cont_ids"].astype(np.int32),
                    cont_bytes=tuple(_unpack(data["cont"], data["cont_len"])),
                    eog_ids=data["eog_ids"].astype(np.int32),
                    control_ids=data["control_ids"].astype(np.int32),
                    digest=digest,
                )
        except (OSError, ValueError, KeyError, UnicodeDecodeError):
            return None


def _pack(items: Sequence[bytes]) -> npt.NDArray[np.uint8]:
    return np.frombuffer(b"".join(items), dtype=np.uint8).copy()


def _lengths(items: Sequence[bytes]) -> npt.NDArray[np.int32]:
    return np.asarray([len(b) for b in items], dtype=np.int32)


def _unpack(blob: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int32]) -> list[bytes]:
    raw = blob.tobytes()
    out: list[bytes] = []
    pos = 0
    for n in lengths.tolist():
        out.append(raw[pos : pos + n])
        pos += n
    return out
