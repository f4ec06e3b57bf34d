"""Settings: defaults, round trips, migrations, unknown keys, corrupt files, atomic writes."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.settings import (
    SETTINGS_VERSION,
    CheckerSettings,
    EngineSettings,
    RemoteEndpoint,
    Settings,
    SettingsStore,
    UiSettings,
    decode_blob,
    encode_blob,
    migrate_settings,
    settings_from_dict,
)
from app.storage.errors import DiskFullError
from tests.support.storage_settings_writer import settings_for

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def _write(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")


def test_without_a_file_the_defaults_are_used_quietly(path: Path) -> None:
    loaded = SettingsStore(path).load()
    assert loaded.settings == Settings()
    assert loaded.notices == () and loaded.moved_aside is None and loaded.from_version is None
    defaults = loaded.settings
    assert defaults.ui.language == "zh"
    assert defaults.engine.context_length == 8192
    assert defaults.engine.n_gpu_layers is None  # decide from the GPU
    assert defaults.checker.strict_135 is False  # 一三五不论 by default
    assert not path.exists()  # loading never writes


def test_settings_round_trip_through_the_file(path: Path) -> None:
    chosen = dataclasses.replace(
        Settings(),
        ui=UiSettings(language="en", theme="dark"),
        checker=CheckerSettings(warn_san_ze_wei=True, zheyao_as_note=True, mao_yun=True,
                                strict_135=True),
        engine=EngineSettings(model_path="/models/q.gguf", n_gpu_layers=20, context_length=4096,
                              remote=RemoteEndpoint(url="http://127.0.0.1:8080/v1",
                                                    model="qpm", api_key="sk-测试")),
        data_dir="诗库",
        window_state=encode_blob(b"\x00\x01qt-state\xff"),
    )  # fmt: skip
    SettingsStore(path).save(chosen)
    loaded = SettingsStore(path).load()
    assert loaded.settings == chosen and loaded.notices == ()
    assert loaded.from_version == SETTINGS_VERSION
    assert decode_blob(loaded.settings.window_state) == b"\x00\x01qt-state\xff"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == SETTINGS_VERSION and on_disk["data_dir"] == "诗库"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it may hold an API key


def test_blobs_decode_leniently() -> None:
    assert decode_blob(encode_blob(b"abc")) == b"abc"
    assert decode_blob("") == b"" and decode_blob("not base64!") == b""
    assert decode_blob("é") == b""


def test_a_version_1_flat_file_is_migrated(path: Path) -> None:
    _write(path, {
        "version": 1, "language": "en", "theme": "light", "font_family": "LXGW WenKai",
        "font_size": 24, "model_path": "m.gguf", "n_gpu_layers": -1, "context_length": 16384,
        "remote_url": "http://h/v1", "remote_model": "x", "remote_api_key": "k",
        "data_dir": "/d", "window_state": encode_blob(b"s"), "plugin_x": {"on": True},
    })  # fmt: skip
    store = SettingsStore(path)
    loaded = store.load()
    assert loaded.from_version == 1 and loaded.notices == ()
    s = loaded.settings
    assert (s.ui.language, s.ui.theme) == ("en", "light")
    assert (s.fonts.poem_family, s.fonts.poem_size) == ("LXGW WenKai", 24)
    assert (s.engine.model_path, s.engine.n_gpu_layers, s.engine.context_length) == (
        "m.gguf", None, 16384
    )  # fmt: skip
    assert s.engine.remote == RemoteEndpoint(url="http://h/v1", model="x", api_key="k")
    assert s.data_dir == "/d" and decode_blob(s.window_state) == b"s"
    store.save(s)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == SETTINGS_VERSION
    assert "language" not in on_disk and "remote_url" not in on_disk  # retired on purpose
    assert on_disk["plugin_x"] == {"on": True}  # unknown: kept


def test_a_file_without_a_version_is_read_as_version_1() -> None:
    assert migrate_settings({"language": "en"}, 1) == {"ui": {"language": "en"}}
    assert migrate_settings({"ui": {"language": "en"}}, 1) == {"ui": {"language": "en"}}


def test_versionless_file_loads(path: Path) -> None:
    _write(path, {"theme": "dark", "ui": {"language": "en"}})
    loaded = SettingsStore(path).load()
    assert (loaded.settings.ui.language, loaded.settings.ui.theme) == ("en", "dark")


def test_bad_values_fall_back_one_by_one_with_a_notice_each(path: Path) -> None:
    _write(path, {
        "version": SETTINGS_VERSION,
        "ui": {"language": "fr", "theme": "dark"},
        "fonts": {"poem_size": 500, "ui_size": True},
        "editor": {"autosave_seconds": "soon", "show_tone_marks": False},
        "engine": {"context_length": 8192.5, "n_gpu_layers": None, "remote": "oops"},
        "checker": [],
        "window_state": "@@@",
    })  # fmt: skip
    loaded = SettingsStore(path).load()
    s = loaded.settings
    assert s.ui == UiSettings(language="zh", theme="dark")
    assert s.fonts.poem_size == 20 and s.fonts.ui_size == 0
    assert s.editor.autosave_seconds == 2.0 and s.editor.show_tone_marks is False
    assert s.engine.context_length == 8192 and s.engine.remote == RemoteEndpoint()
    assert s.checker == CheckerSettings() and s.window_state == ""
    where = " ".join(n.en for n in loaded.notices)
    for key in ("ui.language", "fonts.poem_size", "fonts.ui_size", "editor.autosave_seconds",
                "engine.context_length", "engine.remote", "checker", "window_state"):  # fmt: skip
        assert key in where
    assert len(loaded.notices) == 8
    assert all(n.zh and "默认" in n.zh for n in loaded.notices)
    assert loaded.moved_aside is None  # one bad value does not cost the whole file


def test_unknown_keys_survive_a_save(path: Path) -> None:
    _write(path, {
        "version": SETTINGS_VERSION,
        "future_top": [1, 2],
        "ui": {"language": "en", "future_ui": "x"},
        "engine": {"remote": {"url": "u", "future_remote": 3}},
    })  # fmt: skip
    store = SettingsStore(path)
    loaded = store.load()
    store.save(dataclasses.replace(loaded.settings, data_dir="/x"))
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["future_top"] == [1, 2]
    assert on_disk["ui"] == {"language": "en", "future_ui": "x", "theme": "system"}
    assert on_disk["engine"]["remote"]["future_remote"] == 3
    assert on_disk["data_dir"] == "/x"


def test_a_file_from_a_newer_version_is_read_best_effort_and_keeps_its_version(
    path: Path,
) -> None:
    _write(path, {"version": SETTINGS_VERSION + 5, "ui": {"language": "en"}, "new_thing": 1})
    store = SettingsStore(path)
    loaded = store.load()
    assert loaded.settings.ui.language == "en"
    assert len(loaded.notices) == 1 and "newer" in loaded.notices[0].en
    store.save(loaded.settings)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["version"] == SETTINGS_VERSION + 5 and on_disk["new_thing"] == 1


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '"text"', '{"version": "2"}', '{"version": 0}', "", b"\xff\xfe{}"],
    ids=["not-json", "a-list", "a-string", "version-text", "version-0", "empty", "not-utf8"],
)
def test_a_corrupt_file_is_moved_aside_and_defaults_used(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True)
    original = content if isinstance(content, bytes) else content.encode()
    path.write_bytes(original)
    loaded = SettingsStore(path).load()
    assert loaded.settings == Settings()
    assert loaded.moved_aside is not None and loaded.moved_aside.read_bytes() == original
    assert loaded.moved_aside.name.startswith("settings.json.corrupt-")
    assert not path.exists()
    [notice] = loaded.notices
    assert str(loaded.moved_aside) in notice.zh and str(loaded.moved_aside) in notice.en


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SettingsStore(path)
    store.save(dataclasses.replace(Settings(), data_dir="old"))
    before = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(DiskFullError) as failed:
        store.save(dataclasses.replace(Settings(), data_dir="new" * 1000))
    monkeypatch.undo()
    assert "磁盘已满" in failed.value.message.zh
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_leftover_temporary_files_from_a_killed_writer_are_cleaned(path: Path) -> None:
    SettingsStore(path).save(Settings())
    stale = path.with_name(".settings.json.tmp-123-abcd")
    fresh = path.with_name(".settings.json.tmp-456-ef01")
    stale.write_text("{")
    fresh.write_text("{")
    os.utime(stale, (time.time() - 600, time.time() - 600))
    SettingsStore(path).load()
    assert not stale.exists() and fresh.exists()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_a_writer_killed_at_random_moments_never_leaves_a_torn_file(path: Path) -> None:
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.storage_settings_writer", str(path)],
            cwd=REPO, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        acks = [int(line.split()[1]) for line in proc.stdout.read().splitlines()]
        proc.stdout.close()
        raw = json.loads(path.read_text(encoding="utf-8"))  # parses: not torn
        settings, notices = settings_from_dict(raw)
        assert notices == []
        index = int(settings.data_dir.split("-")[1])
        assert settings == settings_for(index)  # both fields from the same save
        if acks:
            assert index in (acks[-1], acks[-1] + 1)


def test_checker_names_match_the_checker() -> None:
    checker = pytest.importorskip("app.prosody.settings")
    built = checker.CheckSettings(**dataclasses.asdict(CheckerSettings(mao_yun=True)))
    assert built.mao_yun is True
