"""What a build says when it stops: which stage, why, and what the poet can do."""

from __future__ import annotations

from typing import Literal

from app.models.errors import ModelError

Stage = Literal["download", "convert", "quantize", "verify", "register"]
STAGES: tuple[Stage, ...] = ("download", "convert", "quantize", "verify", "register")
STAGE_NAMES: dict[Stage, tuple[str, str]] = {
    "download": ("下载原始权重", "download the original weights"),
    "convert": ("转换为 GGUF", "convert to GGUF"),
    "quantize": ("量化", "quantize"),
    "verify": ("校验", "verify"),
    "register": ("登记", "register"),
}


def stage_label(stage: Stage, lang: str = "zh") -> str:
    number = STAGES.index(stage) + 1
    zh, en = STAGE_NAMES[stage]
    return f"第 {number} 步（{zh}）" if lang == "zh" else f"stage {number} ({en})"


class BuildError(ModelError):
    """A stage failed: the message names the stage, the cause and what to do."""

    def __init__(self, stage: Stage, why_zh: str, why_en: str, todo_zh: str, todo_en: str) -> None:
        super().__init__(
            f"{stage_label(stage, 'zh')}失败：{why_zh.rstrip('。')}。{todo_zh}",
            f"The build failed at {stage_label(stage, 'en')}: {why_en.rstrip('.')}. {todo_en}",
        )
        self.stage = stage
        self.why = (why_zh, why_en)
        self.todo = (todo_zh, todo_en)

    @classmethod
    def wrap(cls, stage: Stage, error: ModelError, todo_zh: str, todo_en: str) -> BuildError:
        built = cls(stage, error.zh, error.en, todo_zh, todo_en)
        built.__cause__ = error
        return built


class BuildPaused(ModelError):  # noqa: N818 - a pause is an outcome, not a fault
    """The build was paused (or the window closed); everything done so far is kept."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(
            f"已在{stage_label(stage, 'zh')}暂停，已完成的部分都已保留，可随时继续。",
            f"Paused at {stage_label(stage, 'en')}; everything done so far is kept. "
            "Resume any time.",
        )
        self.stage = stage


class NotEnoughSpaceError(ModelError):
    """The chosen folder cannot hold what the build needs (checked before starting)."""

    def __init__(self, folder: str, needed: int, free: int) -> None:
        super().__init__(
            f"磁盘空间不足：在 {folder} 制作这个模型最多同时需要约 {needed / 1e9:.1f} GB"
            f"（原始权重 + 中间文件 + 结果），但只剩 {free / 1e9:.1f} GB。"
            "请清理空间，或选择另一个空间更大的文件夹。",
            f"Not enough disk space: building this model in {folder} needs up to about "
            f"{needed / 1e9:.1f} GB at once (original weights + intermediate file + result), "
            f"but only {free / 1e9:.1f} GB is free. Free some space or choose a folder on a "
            "larger disk.",
        )
        self.folder = folder
        self.needed = needed
        self.free = free
