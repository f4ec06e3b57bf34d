"""The model catalog: what can be downloaded, how big it is, what it needs.

The catalog is ``models.toml`` at the top of the repository (the one file to edit).
It ships inside the package as ``app.resources/models.toml`` — in the source tree
``resources/models.toml`` is a symbolic link to the top-level file, and setuptools and
PyInstaller copy the linked content — so :func:`load_catalog` reads it through
:func:`app.bundled.resource` and runs the same from a checkout, a wheel or a bundle.

Entries are validated when loaded. A TOML syntax error keeps tomllib's line number;
a semantic error (missing key, wrong type, unknown key, duplicate id...) names the
line of the offending key, or the entry's ``[[model]]`` line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from app.models.errors import CatalogError, Lang
from app.models.recipe import BuildRecipe, parse_recipe

Kind = Literal["poetry", "general"]
PromptStyle = Literal["qpm-r1", "chatml-general", "qwen3-think"]

KINDS: tuple[str, ...] = ("poetry", "general")
PROMPT_STYLES: tuple[str, ...] = ("qpm-r1", "chatml-general", "qwen3-think")
# prompt styles whose models reason in <think>…</think> before answering
THINKING_STYLES: tuple[str, ...] = ("qpm-r1", "qwen3-think")
CATALOG_FILE = "models.toml"
SCHEMA_VERSION = 1

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_QUANT_RE = re.compile(r"^[A-Za-z0-9_]+$")
_MODEL_HEADER_RE = re.compile(r"^\s*\[\[\s*model\s*\]\]")


@dataclass(frozen=True)
class LocalText:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ArchInfo:
    """Transformer dimensions, for memory estimates before a file is downloaded."""

    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    hidden: int
    vocab: int


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model (one quantization of one model)."""

    id: str
    name: LocalText
    kind: Kind
    quant: str
    size_bytes: int
    vram_bytes: int
    ram_bytes: int
    context_length: int
    prompt_style: PromptStyle
    license: str
    original: str | None = None
    also_known_as: tuple[str, ...] = ()
    repo: str | None = None
    pattern: str = "*.gguf"
    sha256: tuple[str, ...] = ()
    notes: LocalText = LocalText("", "")
    arch: ArchInfo | None = None
    default: bool = False
    more_repos: tuple[str, ...] = ()  # other preferred repositories, tried after `repo`
    think_budget: int | None = None  # default thinking budget (tokens) for this model
    line: int = 0  # line of the entry's [[model]] header in the catalog file
    build: BuildRecipe | None = None  # how to make it here when no GGUF is published

    @property
    def is_poetry_model(self) -> bool:
        return self.kind == "poetry"

    @property
    def thinks(self) -> bool:
        """Does the model reason in ``<think>…</think>`` before it answers?"""
        return self.prompt_style in THINKING_STYLES

    def preferred_repos(self) -> tuple[str, ...]:
        """The repositories to try before any listing: ``repo``, then ``more_repos``."""
        return ((self.repo,) if self.repo else ()) + self.more_repos

    def display_name(self, lang: Lang = "zh") -> str:
        return self.name.get(lang)

    def kind_label(self, lang: Lang = "zh") -> str:
        """What the UI says about the kind: the poetry model, or a general model."""
        if self.kind == "poetry":
            return "格律诗专用模型" if lang == "zh" else "poetry model"
        if self.thinks:
            return (
                "会思考的通用模型（非格律诗专用）"
                if lang == "zh"
                else "general model that thinks (not the poetry model)"
            )
        return (
            "通用模型（非格律诗专用）" if lang == "zh" else "general model (not the poetry model)"
        )

    def originals(self) -> tuple[str, ...]:
        """The original (unquantized) model ids, main name first."""
        return ((self.original,) if self.original else ()) + self.also_known_as

    def build_sources(self) -> tuple[str, ...]:
        """Repositories of the original weights, in the order to try them."""
        if self.build is None:
            return ()
        first = (self.build.repo,) if self.build.repo else ()
        return first + tuple(o for o in self.originals() if o != self.build.repo)

    def search_terms(self) -> tuple[str, ...]:
        """Names to search the hub for: the model part of each original id."""
        seen: list[str] = []
        for orig in self.originals():
            term = orig.split("/", 1)[1]
            if term not in seen:
                seen.append(term)
        return tuple(seen)


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    source: str = ""
    _by_id: Mapping[str, CatalogEntry] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> CatalogEntry:
        try:
            return self._by_id[entry_id]
        except KeyError:
            raise KeyError(f"no catalog entry {entry_id!r}") from None

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    @property
    def default(self) -> CatalogEntry:
        for entry in self.entries:
            if entry.default:
                return entry
        return self.entries[0]

    def poetry_models(self) -> list[CatalogEntry]:
        return [e for e in self.entries if e.kind == "poetry"]

    def general_models(self) -> list[CatalogEntry]:
        return [e for e in self.entries if e.kind == "general"]


# ---------------------------------------------------------------- loading


def bundled_catalog_text() -> tuple[str, str]:
    """The shipped catalog's text and a description of where it came from."""
    from app.bundled import resource

    node = resource(CATALOG_FILE)
    try:
        text = node.read_text(encoding="utf-8")
    except OSError:
        text = ""
    # A checkout without symlink support holds the link target as text: follow it.
    if text.strip().endswith(CATALOG_FILE) and "\n" not in text.strip():
        text = ""
    if text:
        return text, str(node)
    top = Path(__file__).resolve().parents[2] / CATALOG_FILE
    try:
        return top.read_text(encoding="utf-8"), str(top)
    except OSError as exc:
        raise CatalogError(
            f"找不到模型目录文件 {CATALOG_FILE}（{exc}）。",
            f"The model catalog {CATALOG_FILE} is missing ({exc}).",
        ) from exc


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file; ``None`` reads the one shipped with the app."""
    if path is None:
        text, source = bundled_catalog_text()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(
                f"无法读取模型目录 {path}：{exc}",
                f"Cannot read the model catalog {path}: {exc}",
            ) from exc
        source = str(path)
    return parse_catalog(text, source)


def parse_catalog(text: str, source: str = CATALOG_FILE) -> Catalog:
    """Parse catalog TOML text; raises :class:`CatalogError` naming the line at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            f"{source} 不是有效的 TOML：{exc}",
            f"{source} is not valid TOML: {exc}",
        ) from exc
    lines = text.splitlines()
    headers = [i + 1 for i, line in enumerate(lines) if _MODEL_HEADER_RE.match(line)]

    def fail(zh: str, en: str, line: int = 0) -> CatalogError:
        where_zh = f"{source} 第 {line} 行" if line else source
        where_en = f"{source}, line {line}" if line else source
        return CatalogError(f"{where_zh}：{zh}", f"{where_en}: {en}")

    schema = data.get("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise fail(
            f"不支持的目录格式版本 {schema!r}（应为 {SCHEMA_VERSION}）",
            f"unsupported catalog schema {schema!r} (expected {SCHEMA_VERSION})",
            _key_line(lines, 1, len(lines), "schema"),
        )
    extra = set(data) - {"schema", "model"}
    if extra:
        key = sorted(extra)[0]
        raise fail(
            f"未知的顶层键 {key!r}",
            f"unknown top-level key {key!r}",
            _key_line(lines, 1, len(lines), key),
        )
    models = data.get("model")
    if not isinstance(models, list) or not models:
        raise fail("没有任何 [[model]] 条目", "no [[model]] entries")

    entries: list[CatalogEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(models):
        start = headers[index] if index < len(headers) else 0
        end = headers[index + 1] - 1 if index + 1 < len(headers) else len(lines)
        entry = _parse_entry(raw, start, end, lines, fail)
        if entry.id in seen:
            raise fail(
                f"条目 id {entry.id!r} 重复（第 {seen[entry.id]} 行已有）",
                f"duplicate entry id {entry.id!r} (already on line {seen[entry.id]})",
                _key_line(lines, start, end, "id") or start,
            )
        seen[entry.id] = start
        entries.append(entry)
    defaults = [e for e in entries if e.default]
    if len(defaults) > 1:
        raise fail(
            f"有多个默认条目：{', '.join(e.id for e in defaults)}",
            f"more than one default entry: {', '.join(e.id for e in defaults)}",
            _key_line(lines, defaults[1].line, len(lines), "default") or defaults[1].line,
        )
    return Catalog(tuple(entries), source)


def _key_line(lines: list[str], start: int, end: int, key: str) -> int:
    """The 1-based line in ``start..end`` where ``key`` (or ``key.sub``) is assigned."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*(=|\.)")
    for number in range(max(start, 1), min(end, len(lines)) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return 0


_ENTRY_KEYS = {
    "id",
    "name",
    "kind",
    "default",
    "original",
    "also_known_as",
    "repo",
    "more_repos",
    "quant",
    "pattern",
    "size_bytes",
    "sha256",
    "memory",
    "context_length",
    "prompt_style",
    "license",
    "notes",
    "arch",
    "think_budget",
    "build",
}
_ARCH_KEYS = ("layers", "heads", "kv_heads", "head_dim", "hidden", "vocab")


def _parse_entry(
    raw: Any,
    start: int,
    end: int,
    lines: list[str],
    fail: Any,
) -> CatalogEntry:
    def where(key: str) -> int:
        return _key_line(lines, start, end, key) or start

    def bad(key: str, zh: str, en: str) -> CatalogError:
        err: CatalogError = fail(zh, en, where(key))
        return err

    if not isinstance(raw, dict):
        raise fail("[[model]] 条目必须是表", "a [[model]] entry must be a table", start)
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise bad(unknown[0], f"未知的键 {unknown[0]!r}", f"unknown key {unknown[0]!r}")

    def req_str(key: str) -> str:
        if key not in raw:
            raise fail(f"缺少必需的键 {key!r}", f"missing required key {key!r}", start)
        value = raw[key]
        if not isinstance(value, str) or not value.strip():
            raise bad(key, f"{key!r} 必须是非空字符串", f"{key!r} must be a non-empty string")
        return value.strip()

    def opt_str(key: str) -> str | None:
        if key not in raw or raw[key] == "":
            return None
        value = raw[key]
        if not isinstance(value, str):
            raise bad(key, f"{key!r} 必须是字符串", f"{key!r} must be a string")
        return value.strip() or None

    def pos_int(value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise bad(key, f"{key!r} 必须是正整数", f"{key!r} must be a positive integer")
        return value

    def text_pair(key: str, required: bool) -> LocalText:
        if key not in raw:
            if required:
                raise fail(f"缺少必需的键 {key!r}", f"missing required key {key!r}", start)
            return LocalText("", "")
        value = raw[key]
        if (
            not isinstance(value, dict)
            or set(value) != {"zh", "en"}
            or not all(isinstance(v, str) for v in value.values())
        ):
            raise bad(
                key,
                f"{key!r} 必须同时有 {key}.zh 和 {key}.en 两个字符串",
                f"{key!r} needs exactly two strings, {key}.zh and {key}.en",
            )
        if required and not (value["zh"].strip() and value["en"].strip()):
            raise bad(key, f"{key!r} 不能为空", f"{key!r} must not be empty")
        return LocalText(value["zh"].strip(), value["en"].strip())

    entry_id = req_str("id")
    if not _ID_RE.match(entry_id):
        raise bad(
            "id",
            f"id {entry_id!r} 只能含小写字母、数字和 . _ -",
            f"id {entry_id!r} may only hold lower-case letters, digits and . _ -",
        )
    name = text_pair("name", required=True)
    kind = req_str("kind")
    if kind not in KINDS:
        raise bad("kind", f"kind 必须是 {KINDS} 之一", f"kind must be one of {KINDS}")
    style = req_str("prompt_style")
    if style not in PROMPT_STYLES:
        raise bad(
            "prompt_style",
            f"prompt_style 必须是 {PROMPT_STYLES} 之一",
            f"prompt_style must be one of {PROMPT_STYLES}",
        )
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise bad("default", "default 必须是 true 或 false", "default must be true or false")

    original = opt_str("original")
    repo = opt_str("repo")
    for key, value in (("original", original), ("repo", repo)):
        if value is not None and not _REPO_RE.match(value):
            raise bad(
                key,
                f"{key} {value!r} 不是“用户/仓库”形式",
                f"{key} {value!r} is not of the form owner/name",
            )
    aliases_raw = raw.get("also_known_as", [])
    if not isinstance(aliases_raw, list) or not all(
        isinstance(a, str) and _REPO_RE.match(a) for a in aliases_raw
    ):
        raise bad(
            "also_known_as",
            "also_known_as 必须是“用户/仓库”字符串的列表",
            "also_known_as must be a list of owner/name strings",
        )
    more_raw = raw.get("more_repos", [])
    if not isinstance(more_raw, list) or not all(
        isinstance(r, str) and _REPO_RE.match(r) for r in more_raw
    ):
        raise bad(
            "more_repos",
            "more_repos 必须是“用户/仓库”字符串的列表",
            "more_repos must be a list of owner/name strings",
        )
    if original is None and repo is None:
        raise fail(
            "必须给出 original（原模型）或 repo（仓库）",
            "give original (the original model) or repo (a repository), or both",
            start,
        )

    quant = req_str("quant")
    if not _QUANT_RE.match(quant):
        raise bad("quant", f"quant {quant!r} 无效", f"quant {quant!r} is not a quant name")
    pattern = opt_str("pattern") or "*.gguf"
    if not pattern.lower().endswith(".gguf"):
        raise bad(
            "pattern",
            f"pattern {pattern!r} 必须以 .gguf 结尾",
            f"pattern {pattern!r} must end in .gguf",
        )
    size_bytes = pos_int(raw.get("size_bytes"), "size_bytes")

    sha_raw = raw.get("sha256", [])
    sha_list = [sha_raw] if isinstance(sha_raw, str) else sha_raw
    if not isinstance(sha_list, list) or not all(
        isinstance(s, str) and _SHA_RE.match(s.lower()) for s in sha_list if s
    ):
        raise bad(
            "sha256",
            "sha256 必须是 64 位十六进制字符串（或其列表，对应各分卷）",
            "sha256 must be a 64-hex-digit string (or a list of them, one per split part)",
        )
    sha256 = tuple(s.lower() for s in sha_list if s)

    memory = raw.get("memory")
    if (
        not isinstance(memory, dict)
        or set(memory) != {"vram_bytes", "ram_bytes"}
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in memory.values())
    ):
        raise bad(
            "memory",
            "需要 memory.vram_bytes 和 memory.ram_bytes 两个整数",
            "memory needs two integers, memory.vram_bytes and memory.ram_bytes",
        )
    vram = pos_int(memory["vram_bytes"], "memory")
    ram = pos_int(memory["ram_bytes"], "memory")
    context_length = pos_int(raw.get("context_length"), "context_length")
    license_text = req_str("license")
    notes = text_pair("notes", required=False)
    think_budget: int | None = None
    if "think_budget" in raw:
        think_budget = pos_int(raw["think_budget"], "think_budget")
        if style not in THINKING_STYLES:
            raise bad(
                "think_budget",
                f"think_budget 只适用于会思考的模型（prompt_style 为 {THINKING_STYLES} 之一）",
                f"think_budget only applies to models that think (prompt_style in "
                f"{THINKING_STYLES})",
            )

    arch: ArchInfo | None = None
    if "arch" in raw:
        arch_raw = raw["arch"]
        if not isinstance(arch_raw, dict) or set(arch_raw) != set(_ARCH_KEYS):
            raise bad(
                "arch",
                f"arch 必须恰好含 {', '.join(_ARCH_KEYS)}",
                f"arch must hold exactly {', '.join(_ARCH_KEYS)}",
            )
        arch = ArchInfo(**{k: pos_int(arch_raw[k], "arch") for k in _ARCH_KEYS})

    build: BuildRecipe | None = None
    if "build" in raw:
        build = parse_recipe(raw["build"], bad)
        if build.repo is None and original is None:
            raise bad(
                "build",
                "build 需要 build.repo 或 original（原始权重所在的仓库）",
                "build needs build.repo or original (where the original weights are)",
            )

    return CatalogEntry(
        id=entry_id,
        name=name,
        kind=cast(Kind, kind),
        quant=quant,
        size_bytes=size_bytes,
        vram_bytes=vram,
        ram_bytes=ram,
        context_length=context_length,
        prompt_style=cast(PromptStyle, style),
        license=license_text,
        original=original,
        also_known_as=tuple(aliases_raw),
        repo=repo,
        pattern=pattern,
        sha256=sha256,
        notes=notes,
        arch=arch,
        default=default,
        more_repos=tuple(more_raw),
        think_budget=think_budget,
        line=start,
        build=build,
    )
