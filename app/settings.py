"""Typed, versioned user settings in a JSON file.

The settings are a tree of frozen dataclasses (:class:`Settings`); change one
with :func:`dataclasses.replace`. The file carries a ``version``; older files
are brought up to :data:`SETTINGS_VERSION` by ordered migration functions.

* Every value is checked on load (type, allowed values, range). A bad value
  falls back to its default with a notice; the rest of the file still counts.
* A file that cannot be read as settings at all (not JSON, not an object, a
  broken ``version``) is moved aside to ``settings.json.corrupt-<UTC stamp>``
  and the defaults are used, with a notice naming where it went.
* **Unknown keys are preserved**: whatever the file holds that this version does
  not know (a setting from a newer version, a key added by hand) is written
  back unchanged on save, so a newer version's settings survive a round trip
  through an older one. Keys a migration retires are dropped by that migration,
  deliberately.
* A file from a newer version is read best-effort (the keys this version
  knows), with a notice; saving keeps its newer ``version`` number.
* Saving is atomic (temporary file, fsync, ``os.replace``, folder fsync): after
  a crash the file is the old settings or the new ones, never a mixture. The
  file is written with mode 0600, since it may hold a remote endpoint's key.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import glob
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from app.storage.errors import from_os_error
from app.storage.files import (
    atomic_write_bytes,
    fsync_dir,
    remove_stale_temps,
    stamp,
    temp_pattern,
    utc_now,
)
from app.storage.messages import Message
from app.storage.text import clean_text

SETTINGS_VERSION = 3

_T = TypeVar("_T")


def _range(low: float, high: float) -> dict[str, Any]:
    return {"range": (low, high)}


_BASE64: dict[str, Any] = {"base64": True}


@dataclass(frozen=True, kw_only=True)
class UiSettings:
    language: Literal["zh", "en"] = "zh"
    theme: Literal["system", "light", "dark"] = "system"


@dataclass(frozen=True, kw_only=True)
class FontSettings:
    poem_family: str = ""  # "" = the app's default CJK serif
    poem_size: int = field(default=20, metadata=_range(8, 96))
    ui_family: str = ""  # "" = the system's font
    ui_size: int = field(default=0, metadata=_range(0, 48))  # 0 = the system's size


@dataclass(frozen=True, kw_only=True)
class EditorSettings:
    autosave_seconds: float = field(default=2.0, metadata=_range(0.5, 600))
    analysis_delay_ms: int = field(default=150, metadata=_range(0, 5000))
    show_tone_marks: bool = True  # 平/仄 marks beside each character
    highlight_rhymes: bool = True


@dataclass(frozen=True, kw_only=True)
class LibrarySettings:
    # while the library changes, a backup at least this often (and one on quit)
    backup_minutes: float = field(default=5.0, metadata=_range(0.1, 1440))


@dataclass(frozen=True, kw_only=True)
class CheckerSettings:
    """Checker strictness; the names match ``app.prosody.settings.CheckSettings``."""

    warn_san_ze_wei: bool = False  # 三仄尾 as a warning
    zheyao_as_note: bool = False  # 失粘 named as 折腰体 in a note instead of an error
    mao_yun: bool = False  # 冒韵 advisory
    strict_135: bool = False  # strict 一三五 (off: 一三五不论, lenient)
    accept_aojiu: bool = True  # recognised 拗救 forms are fine
    dui_zhang: bool = True  # 对仗 hints
    repeated_chars: bool = True  # 重字 hints


RemoteConstraintMode = Literal["off", "gbnf", "vllm-grammar", "vllm-regex", "vllm-guided-regex"]


@dataclass(frozen=True, kw_only=True)
class RemoteEndpoint:
    """An OpenAI-compatible endpoint, used instead of the local model when
    ``EngineSettings.backend`` is ``"remote"``."""

    url: str = ""
    model: str = ""
    api_key: str = ""  # kept in this file only (written with mode 0600)
    prompt_style: Literal["reasoning", "general"] = "reasoning"  # a <think>/<answer> model?
    # Strict metre on a server: how to send the metre (llama.cpp GBNF, vLLM structured
    # outputs); "off" refuses strict-metre requests (app.compose.constraint.grammar).
    constraint_mode: RemoteConstraintMode = "off"


@dataclass(frozen=True, kw_only=True)
class EngineSettings:
    backend: Literal["local", "remote"] = "local"  # the engine process, or ``remote``
    model_key: str = ""  # the current model's registry key ("" = ``model_path``)
    model_path: str = ""  # "" = the catalog's default model, when it is installed
    n_gpu_layers: int | None = field(default=None, metadata=_range(-1, 10_000))  # None = auto
    context_length: int = field(default=8192, metadata=_range(512, 1_048_576))
    remote: RemoteEndpoint = field(default_factory=RemoteEndpoint)
    # Thinking (models that can switch it: Qwen3), and the most <think> tokens before the
    # engine closes thinking itself; None = the model's own default (by its size).
    thinking: bool = True
    think_budget: int | None = field(default=None, metadata=_range(0, 32768))


@dataclass(frozen=True, kw_only=True)
class HubSettings:
    """Where models are downloaded from. Empty: ``$HF_ENDPOINT`` / ``$HF_TOKEN`` (or the
    saved login), else huggingface.co without a token."""

    endpoint: str = ""  # a mirror, e.g. https://hf-mirror.com
    token: str = ""  # kept in this file only (written with mode 0600)


@dataclass(frozen=True, kw_only=True)
class PdfExportSettings:
    """The poem PDF dialog's choices, as last used (the dialog opens with them)."""

    layout: Literal["horizontal", "vertical"] = "horizontal"
    page: Literal["A4", "Letter"] = "A4"
    margin_left: float = field(default=20.0, metadata=_range(5, 60))  # mm
    margin_top: float = field(default=20.0, metadata=_range(5, 60))
    margin_right: float = field(default=20.0, metadata=_range(5, 60))
    margin_bottom: float = field(default=20.0, metadata=_range(5, 60))
    font_pt: float = field(default=16.0, metadata=_range(8, 48))
    marks: bool = False
    show_group: bool = True
    show_author: bool = True
    show_date: bool = True
    contents: bool = True  # with more than one poem
    one_per_page: bool = False  # with more than one poem


@dataclass(frozen=True, kw_only=True)
class Settings:
    ui: UiSettings = field(default_factory=UiSettings)
    fonts: FontSettings = field(default_factory=FontSettings)
    editor: EditorSettings = field(default_factory=EditorSettings)
    library: LibrarySettings = field(default_factory=LibrarySettings)
    checker: CheckerSettings = field(default_factory=CheckerSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    hub: HubSettings = field(default_factory=HubSettings)
    pdf_export: PdfExportSettings = field(default_factory=PdfExportSettings)
    data_dir: str = ""  # "" = the platform's data folder (or --basedir)
    window_geometry: str = field(default="", metadata=_BASE64)  # Qt saveGeometry(), base64
    window_state: str = field(default="", metadata=_BASE64)  # Qt saveState(), base64


def encode_blob(data: bytes) -> str:
    """Bytes (a Qt window state) as the base64 text the settings file holds."""
    return base64.b64encode(data).decode("ascii")


def decode_blob(text: str) -> bytes:
    """The inverse of :func:`encode_blob`; empty or invalid text gives ``b""``."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return b""


# ---------------------------------------------------------------------------- migrations

_V1_MOVES: tuple[tuple[str, str, str], ...] = (
    ("language", "ui", "language"),
    ("theme", "ui", "theme"),
    ("font_family", "fonts", "poem_family"),
    ("font_size", "fonts", "poem_size"),
    ("model_path", "engine", "model_path"),
    ("n_gpu_layers", "engine", "n_gpu_layers"),
    ("context_length", "engine", "context_length"),
)
_V1_REMOTE: tuple[tuple[str, str], ...] = (
    ("remote_url", "url"),
    ("remote_model", "model"),
    ("remote_api_key", "api_key"),
)


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept every key at the top level; version 2 groups them into sections.

    Also: version 1 wrote ``n_gpu_layers: -1`` for "decide automatically",
    which version 2 writes as ``null``.
    """
    out = dict(raw)

    def section(*names: str) -> dict[str, Any]:
        node = out
        for name in names:
            child = node.get(name)
            if not isinstance(child, dict):
                child = {}
            node[name] = child = dict(child)
            node = child
        return node

    for flat, group, key in _V1_MOVES:
        if flat in out:
            section(group).setdefault(key, out.pop(flat))
    for flat, key in _V1_REMOTE:
        if flat in out:
            section("engine", "remote").setdefault(key, out.pop(flat))
    engine = out.get("engine")
    if isinstance(engine, dict) and engine.get("n_gpu_layers") == -1:
        engine["n_gpu_layers"] = None
    return out


def _v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 used the remote endpoint whenever its ``url`` was set; version 3 has an
    explicit ``engine.backend``, so such a file keeps using the server."""
    out = dict(raw)
    engine = out.get("engine")
    if not isinstance(engine, dict) or "backend" in engine:
        return out
    remote = engine.get("remote")
    url = remote.get("url") if isinstance(remote, dict) else None
    if isinstance(url, str) and url.strip():
        out["engine"] = {**engine, "backend": "remote"}
    return out


# (from version, function to the next version), in order
MIGRATIONS: tuple[tuple[int, Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
    (1, _v1_to_v2),
    (2, _v2_to_v3),
)


def migrate_settings(raw: dict[str, Any], from_version: int) -> dict[str, Any]:
    """``raw`` (without ``version``) brought from ``from_version`` to :data:`SETTINGS_VERSION`."""
    for version, step in MIGRATIONS:
        if version >= from_version:
            raw = step(raw)
    return raw


# ---------------------------------------------------------------------------- decoding


class _InvalidValueError(ValueError):
    pass


def _check_range(value: float, meta: Mapping[str, Any]) -> None:
    bounds = meta.get("range")
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise _InvalidValueError(f"outside {bounds[0]}…{bounds[1]}")


def _decode_value(tp: Any, value: Any, where: str, notices: list[Message], meta: Any) -> Any:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_section(tp, value, where, notices)
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value in typing.get_args(tp) and isinstance(value, str):
            return value
        raise _InvalidValueError(f"not one of {typing.get_args(tp)}")
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        inner = [option for option in options if option is not type(None)]
        return _decode_value(inner[0], value, where, notices, meta)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _InvalidValueError("not true/false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            _check_range(value, meta)
            return value
        raise _InvalidValueError("not a whole number")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            _check_range(float(value), meta)
            return float(value)
        raise _InvalidValueError("not a number")
    if tp is str:
        if not isinstance(value, str):
            raise _InvalidValueError("not text")
        if meta.get("base64") and value and not decode_blob(value):
            raise _InvalidValueError("not base64")
        return clean_text(value)
    raise TypeError(f"settings field of unsupported type {tp!r}")  # a programming error


def _decode_section(cls: type[_T], raw: Any, where: str, notices: list[Message]) -> _T:
    if not isinstance(raw, dict):
        if raw is not None:
            notices.append(_bad_value(where, raw, "not a section"))
        return cls()
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if spec.name not in raw:
            continue
        path = f"{where}.{spec.name}" if where else spec.name
        try:
            values[spec.name] = _decode_value(
                hints[spec.name], raw[spec.name], path, notices, spec.metadata
            )
        except _InvalidValueError as exc:
            notices.append(_bad_value(path, raw[spec.name], str(exc)))
    return cls(**values)


def _bad_value(where: str, value: Any, why: str) -> Message:
    shown = json.dumps(value, ensure_ascii=False)[:80]
    return Message(
        f"设置项 {where} 的值 {shown} 无效（{why}），已改用默认值。",
        f"The setting {where} has an invalid value {shown} ({why}); the default is used.",
    )


def settings_from_dict(raw: Mapping[str, Any]) -> tuple[Settings, list[Message]]:
    """Settings from a current-version mapping, with a notice per value that was replaced."""
    notices: list[Message] = []
    return _decode_section(Settings, dict(raw), "", notices), notices


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return dataclasses.asdict(settings)


def _overlay(base: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    """``known`` written over ``base``, section by section, so keys only ``base`` has survive."""
    out = dict(base)
    for key, value in known.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            out[key] = _overlay(below, value)
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------------------- the file


@dataclass(frozen=True, slots=True)
class SettingsLoad:
    settings: Settings
    notices: tuple[Message, ...]  # what the user should be told, if anything
    moved_aside: Path | None  # where an unreadable file went
    from_version: int | None  # the file's version; None when there was no usable file


class SettingsStore:
    """Loads and saves the settings file at ``path`` (``AppPaths.settings_file``)."""

    def __init__(self, path: Path, *, clock: Callable[[], Any] = utc_now) -> None:
        self._path = path
        self._clock = clock
        self._extra: dict[str, Any] = {}  # the last file's content, unknown keys included
        self._version = SETTINGS_VERSION

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> SettingsLoad:
        """Read the file; never raises. Missing file: the defaults, no notice."""
        self._extra, self._version = {}, SETTINGS_VERSION
        remove_stale_temps(
            self._path.parent, temp_pattern(glob.escape(self._path.name)), older_than_s=60
        )
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            return SettingsLoad(Settings(), (), None, None)
        except OSError as exc:
            why = from_os_error(exc, self._path).message
            return SettingsLoad(Settings(), (_unreadable(self._path, why),), None, None)
        raw, version, problem = _parse(data)
        if problem is not None:
            return self._set_aside(problem)
        assert raw is not None and version is not None
        notices: list[Message] = []
        if version > SETTINGS_VERSION:
            notices.append(
                Message(
                    f"设置文件来自更新版本的诗笺（版本 {version}）；已读取能识别的设置，"
                    "其余设置保存时原样保留。",
                    f"The settings file comes from a newer 诗笺 (version {version}); the "
                    "settings this version knows were read, and the rest are kept on save.",
                )
            )
        else:
            raw = migrate_settings(raw, version)
        settings, bad = settings_from_dict(raw)
        notices.extend(bad)
        self._extra, self._version = raw, max(version, SETTINGS_VERSION)
        return SettingsLoad(settings, tuple(notices), None, version)

    def _set_aside(self, problem: str) -> SettingsLoad:
        aside = self._path.with_name(f"{self._path.name}.corrupt-{stamp(self._clock())}")
        target: Path | None = aside
        try:
            self._path.replace(aside)
            fsync_dir(self._path.parent)
        except OSError:
            target = None
        where_zh = f"已移到 {target}" if target else "无法移开"
        where_en = f"moved to {target}" if target else "could not be moved aside"
        notice = Message(
            f"设置文件无法读取（{problem}），{where_zh}；现使用默认设置。",
            f"The settings file could not be read ({problem}) and was {where_en}; "
            "the default settings are used.",
        )
        return SettingsLoad(Settings(), (notice,), target, None)

    def save(self, settings: Settings) -> None:
        """Write ``settings`` atomically, keeping unknown keys from the last load.

        Raises a typed :class:`~app.storage.errors.StorageError` (disk full,
        read-only folder); the previous file is then untouched.
        """
        body = _overlay(self._extra, settings_to_dict(settings))
        body["version"] = self._version
        text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise from_os_error(exc, self._path.parent) from exc
        atomic_write_bytes(self._path, clean_text(text).encode("utf-8"), mode=0o600)
        self._extra = {k: v for k, v in body.items() if k != "version"}


def _parse(data: bytes) -> tuple[dict[str, Any] | None, int | None, str | None]:
    """(content without ``version``, version, None) or (None, None, what is wrong)."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, None, f"not JSON: {exc.msg}, line {exc.lineno}"
    if not isinstance(raw, dict):
        return None, None, "not a JSON object"
    version = raw.pop("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None, None, f"bad version {version!r}"
    return raw, version, None


def _unreadable(path: Path, why: Message) -> Message:
    return Message(
        f"无法读取设置文件 {path}：{why.zh} 现使用默认设置。",
        f"The settings file {path} could not be read: {why.en} The default settings are used.",
    )
