"""Errors of the converter, each with a plain Chinese and English message."""

from __future__ import annotations

from app.models.errors import ModelError


class ConvertError(ModelError):
    """A checkpoint cannot be converted (the message says what is wrong and what to do)."""


class UnsupportedArchitectureError(ConvertError):
    """The checkpoint's architecture is not one the converter knows."""

    def __init__(self, architecture: str, supported: tuple[str, ...]) -> None:
        names = ", ".join(supported)
        super().__init__(
            f"不支持的模型架构 {architecture}：本程序只能转换 {names}。"
            "请改用已发布的 GGUF 文件，或选择其他模型。",
            f"Unsupported model architecture {architecture}: only {names} can be converted. "
            "Use a published GGUF file instead, or choose another model.",
        )
        self.architecture = architecture


class CheckpointError(ConvertError):
    """A file of the checkpoint is missing, damaged or inconsistent."""

    def __init__(self, path: str, detail_zh: str, detail_en: str) -> None:
        super().__init__(
            f"{path}：{detail_zh}。文件可能不完整或已损坏，请重新下载原始权重。",
            f"{path}: {detail_en}. The file may be incomplete or damaged; download the "
            "original weights again.",
        )
        self.path = path


class ConvertCancelled(ConvertError):  # noqa: N818 - a cancel is an outcome, not a fault
    """The conversion was stopped on request; the unfinished output was removed."""

    def __init__(self) -> None:
        super().__init__(
            "转换已停止，未完成的文件已删除；继续时会从头转换。",
            "Conversion stopped; the unfinished file was removed. It starts over when resumed.",
        )
