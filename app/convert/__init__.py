"""Hugging Face safetensors checkpoints → GGUF, numpy only (no torch).

``convert_checkpoint(folder, out_path)`` checks a checkpoint (architecture, tensor
names and shapes, tokenizer) and writes it as a GGUF file at the checkpoint's own
precision, tensor by tensor, with memory that does not grow with the model. See
docs/models.md ("Building a model on this computer").
"""

from app.convert.archs import ModelConfig, config_from_dict, read_config, supported_classes
from app.convert.errors import (
    CheckpointError,
    ConvertCancelled,
    ConvertError,
    UnsupportedArchitectureError,
)
from app.convert.plan import ConversionPlan, plan_conversion
from app.convert.writer import (
    CONVERTER_VERSION,
    ConvertProgress,
    ConvertResult,
    DiskFullDuringConvertError,
    convert_checkpoint,
    write_gguf,
)

__all__ = [
    "CONVERTER_VERSION",
    "CheckpointError",
    "ConversionPlan",
    "ConvertCancelled",
    "ConvertError",
    "ConvertProgress",
    "ConvertResult",
    "DiskFullDuringConvertError",
    "ModelConfig",
    "UnsupportedArchitectureError",
    "config_from_dict",
    "convert_checkpoint",
    "plan_conversion",
    "read_config",
    "supported_classes",
    "write_gguf",
]
