"""A Hugging Face ``tokenizer.json`` (byte-level BPE) as llama.cpp's GGUF vocabulary.

What is read, and where it goes:

* ``model.vocab`` (token → id) and ``added_tokens`` (id, content, special) become
  ``tokenizer.ggml.tokens`` and ``tokenizer.ggml.token_type``: ordinary tokens are
  NORMAL, special added tokens (and ones that look like ``<|…|>``) CONTROL, other added
  tokens USER_DEFINED, ids the tokenizer does not use (the padding rows of an embedding
  matrix larger than the vocabulary) ``[PADn]`` and UNUSED;
* ``model.merges``, in either form — ``"a b"`` strings or ``["a", "b"]`` pairs (newer
  tokenizers) — become ``tokenizer.ggml.merges`` (``"a b"``; a space inside a part is
  written as U+0120 + 0x100, as llama.cpp expects);
* the pre-tokenizer's split expression names llama.cpp's pre-tokenizer
  (``tokenizer.ggml.pre``): the Qwen2 expression → ``qwen2``, Llama 3's → ``llama-bpe``,
  plain GPT-2 byte level → ``gpt2``. An expression llama.cpp does not implement is
  refused: the model would run, but tokenize differently from how it was trained;
* bos/eos/pad/unk: ``tokenizer_config.json`` (``bos_token`` … as text or
  ``{"content": …}``) first, then ``config.json`` (``bos_token_id`` …);
* ``add_bos_token``/``add_eos_token`` from ``tokenizer_config.json`` when it says so;
* the chat template: ``tokenizer_config.json``'s ``chat_template`` (a string, or a list
  of named templates: the ``default`` one), else ``chat_template.jinja``, else
  ``chat_template.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.convert.errors import CheckpointError, ConvertError

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"

NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5

# The split expressions of the pre-tokenizers llama.cpp implements (as written in
# tokenizer.json), and llama.cpp's name for each.
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
KNOWN_SPLITS = {QWEN2_SPLIT: "qwen2", LLAMA3_SPLIT: "llama-bpe", GPT2_SPLIT: "gpt2"}


@dataclass(frozen=True)
class Vocab:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    pre: str
    split_regex: str  # the pre-tokenizer's expression (for the reference tokenizer)
    special_ids: dict[str, int] = field(default_factory=dict)  # bos, eos, pad, unk
    add_bos: bool | None = None
    add_eos: bool | None = None
    chat_template: str | None = None
    named_templates: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.tokens)


def _load_json(path: Path, required: bool) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise CheckpointError(path.name, "找不到这个文件", "the file is missing") from None
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            path.name, f"不是有效的 JSON（{exc}）", f"is not valid JSON ({exc})"
        ) from exc
    if not isinstance(data, dict):
        raise CheckpointError(path.name, "不是 JSON 对象", "is not a JSON object")
    return data


def looks_special(text: str) -> bool:
    """Added tokens some models forget to mark special (``<|im_start|>`` …)."""
    return (text.startswith("<|") and text.endswith("|>")) or (
        text.startswith("<｜") and text.endswith("｜>")
    )


def split_expression(tokenizer: Mapping[str, Any]) -> tuple[str, str]:
    """(llama.cpp pre-tokenizer name, the split expression) of a byte-level tokenizer."""
    pre = tokenizer.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    regex: str | None = None
    byte_level = False
    for step in steps:
        kind = step.get("type")
        if kind == "Split":
            pattern = step.get("pattern") or {}
            regex = pattern.get("Regex") if isinstance(pattern, dict) else None
            if regex is None or step.get("invert") or step.get("behavior") != "Isolated":
                break
        elif kind == "ByteLevel":
            byte_level = True
            if step.get("use_regex", True) and regex is None:
                regex = GPT2_SPLIT
        elif kind == "Digits":
            break
    if byte_level and regex in KNOWN_SPLITS:
        return KNOWN_SPLITS[regex], regex
    described = json.dumps(pre, ensure_ascii=False)[:300]
    raise ConvertError(
        f"tokenizer.json 的预分词方式 llama.cpp 不支持（{described}），转换后分词会与原模型不同，"
        "因此拒绝转换。",
        f"llama.cpp does not implement this tokenizer's pre-tokenizer ({described}); the "
        "converted model would tokenize differently from the original, so it is refused.",
    )


def _merges(model: Mapping[str, Any]) -> list[str]:
    raw = model.get("merges") or []
    if not isinstance(raw, list):
        raise CheckpointError(TOKENIZER_FILE, "merges 不是列表", "merges is not a list")
    merges: list[str] = []
    for item in raw:
        if isinstance(item, str):
            merges.append(item)
        elif isinstance(item, list) and len(item) == 2 and all(isinstance(p, str) for p in item):
            merges.append(" ".join(part.replace(" ", chr(ord(" ") + 256)) for part in item))
        else:
            raise CheckpointError(
                TOKENIZER_FILE, f"无法识别的 merges 条目 {item!r}", f"unknown merges entry {item!r}"
            )
    return merges


def _token_text(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return str(entry["content"])
    return None


def read_vocab(folder: Path, n_vocab: int, config_ids: Mapping[str, int]) -> Vocab:
    """Read the tokenizer files of ``folder`` for a model with ``n_vocab`` embedding rows."""
    tokenizer = _load_json(folder / TOKENIZER_FILE, required=True)
    tok_config = _load_json(folder / TOKENIZER_CONFIG, required=False)
    model = tokenizer.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        kind = f"{model.get('type')}{', byte_fallback' if model.get('byte_fallback') else ''}"
        raise ConvertError(
            f"tokenizer.json 的分词模型（{kind}）不是字节级 BPE，暂不支持。",
            f"The tokenizer model ({kind}) is not a byte-level BPE; it is not supported.",
        )
    pre, regex = split_expression(tokenizer)
    vocab = model.get("vocab")
    if not isinstance(vocab, dict) or not vocab:
        raise CheckpointError(TOKENIZER_FILE, "没有词表", "holds no vocabulary")
    texts: dict[int, str] = {}
    for text, index in vocab.items():
        if not isinstance(index, int) or index < 0:
            raise CheckpointError(
                TOKENIZER_FILE, f"词 {text!r} 的编号无效", f"token {text!r} has an invalid id"
            )
        texts[index] = text
    types = {i: NORMAL for i in texts}
    for added in tokenizer.get("added_tokens") or []:
        index, content = added.get("id"), added.get("content")
        if not isinstance(index, int) or not isinstance(content, str) or index < 0:
            continue
        texts[index] = content
        types[index] = CONTROL if added.get("special") or looks_special(content) else USER_DEFINED
    top = max(texts)
    if top >= n_vocab:
        raise ConvertError(
            f"分词器有编号为 {top} 的词，但模型的词表只有 {n_vocab} 行"
            "（config.json 的 vocab_size）。",
            f"The tokenizer has a token with id {top} but the model's vocabulary has only "
            f"{n_vocab} rows (vocab_size in config.json).",
        )
    tokens: list[str] = []
    token_types: list[int] = []
    for i in range(n_vocab):
        if i in texts:
            tokens.append(texts[i])
            token_types.append(types[i])
        else:
            tokens.append(f"[PAD{i}]")
            token_types.append(UNUSED)

    by_text = {text: i for i, text in texts.items()}
    special: dict[str, int] = {}
    for kind in ("bos", "eos", "pad", "unk"):
        text = _token_text(tok_config.get(f"{kind}_token"))
        if text is not None and text in by_text:
            special[kind] = by_text[text]
        elif kind in config_ids and config_ids[kind] < n_vocab:
            special[kind] = config_ids[kind]

    def flag(key: str) -> bool | None:
        value = tok_config.get(key)
        return value if isinstance(value, bool) else None

    add_bos = flag("add_bos_token")
    if add_bos is None:
        post = tokenizer.get("post_processor") or {}
        single = post.get("single") if post.get("type") == "TemplateProcessing" else None
        if isinstance(single, list) and single and "SpecialToken" in single[0]:
            add_bos = True
    template, named = _chat_template(folder, tok_config)
    return Vocab(
        tokens=tokens,
        types=token_types,
        merges=_merges(model),
        pre=pre,
        split_regex=regex,
        special_ids=special,
        add_bos=add_bos,
        add_eos=flag("add_eos_token"),
        chat_template=template,
        named_templates=named,
    )


def _chat_template(
    folder: Path, tok_config: Mapping[str, Any]
) -> tuple[str | None, dict[str, str]]:
    raw = tok_config.get("chat_template")
    if raw is None:
        jinja = folder / "chat_template.jinja"
        if jinja.is_file():
            raw = jinja.read_text(encoding="utf-8")
        else:
            raw = _load_json(folder / "chat_template.json", required=False).get("chat_template")
    if isinstance(raw, str):
        return raw or None, {}
    if isinstance(raw, list):
        named = {
            str(item["name"]): str(item["template"])
            for item in raw
            if isinstance(item, dict) and "name" in item and "template" in item
        }
        default = named.pop("default", None)
        return default, named
    return None, {}
