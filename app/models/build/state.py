"""A build's state on disk, so it resumes after a pause, a restart or a crash.

One JSON file per build, ``<models>/.shijian-build/<key>/build.json``, written
atomically (temporary file, fsync, rename) after every change of a stage: the plan,
each stage's status (``pending``, ``running``, ``done``, ``failed``), the last error
(stage, Chinese and English text) and the result's SHA-256 once known. A stage found
``running`` when a build is resumed was interrupted (killed, crashed, power cut); it
starts again from what its own files say (a download resumes its parts, a conversion
or quantization starts over).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from app.models.build.errors import STAGES, Stage
from app.models.build.plan import WORK_FOLDER, BuildPlan
from app.models.errors import ModelError

STATE_FILE = "build.json"
FORMAT = 1
Status = Literal["pending", "running", "done", "failed"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class BuildState:
    plan: BuildPlan
    path: Path  # the state file
    stages: dict[Stage, Status] = field(default_factory=lambda: dict.fromkeys(STAGES, "pending"))
    error: dict[str, str] | None = None  # stage, zh, en
    result_sha256: str | None = None
    updated: str = field(default_factory=_now)

    @classmethod
    def new(cls, plan: BuildPlan, models_dir: Path) -> BuildState:
        path = Path(models_dir) / WORK_FOLDER / plan.key / STATE_FILE
        return cls(plan=plan, path=path)

    @property
    def next_stage(self) -> Stage | None:
        return next((s for s in STAGES if self.stages[s] != "done"), None)

    @property
    def finished(self) -> bool:
        return self.next_stage is None

    def error_text(self, lang: str = "zh") -> str | None:
        if self.error is None:
            return None
        return self.error["zh"] if lang == "zh" else self.error["en"]

    def mark(self, stage: Stage, status: Status, error: ModelError | None = None) -> None:
        self.stages[stage] = status
        if error is not None:
            self.error = {"stage": stage, "zh": error.zh, "en": error.en}
        elif status in ("running", "done"):
            self.error = None
        self.save()

    def save(self) -> None:
        self.updated = _now()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "plan": self.plan.to_dict(),
            "stages": dict(self.stages),
            "error": self.error,
            "result_sha256": self.result_sha256,
            "updated": self.updated,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: Path) -> BuildState:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            plan = BuildPlan.from_dict(data["plan"])
            stages = {s: cast(Status, data["stages"].get(s, "pending")) for s in STAGES}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(
                f"制作记录 {path} 已损坏（{exc}）。可删除这个文件夹后重新开始。",
                f"The build record {path} is damaged ({exc}). Delete its folder and start again.",
            ) from exc
        return cls(
            plan=plan,
            path=Path(path),
            stages=stages,
            error=data.get("error"),
            result_sha256=data.get("result_sha256"),
            updated=str(data.get("updated", "")),
        )

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()
        with contextlib.suppress(OSError):
            self.path.parent.parent.rmdir()


def find_builds(models_dir: Path) -> list[BuildState]:
    """Unfinished builds recorded under ``models_dir`` (damaged records are skipped)."""
    found: list[BuildState] = []
    root = Path(models_dir) / WORK_FOLDER
    if not root.is_dir():
        return found
    for path in sorted(root.glob(f"*/{STATE_FILE}")):
        with contextlib.suppress(ModelError):
            found.append(BuildState.load(path))
    return found
