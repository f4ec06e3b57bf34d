"""What the window asks the engine for: load settings, sampling, a generation request."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, TypedDict

__all__ = [
    "DEFAULT_N_CTX",
    "ChatMessage",
    "GenerateRequest",
    "LoadConfig",
    "SamplerArgs",
    "Sampling",
    "new_request_id",
]

DEFAULT_N_CTX = 8192

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class SamplerArgs(TypedDict):
    """:class:`Sampling` as llama-cpp-python's ``Llama.generate`` names it (and the
    strict-metre loop, which builds the same sampler chain)."""

    top_k: int
    top_p: float
    min_p: float
    temp: float
    repeat_penalty: float
    presence_penalty: float
    frequency_penalty: float


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampling settings. Defaults are Qwen's advice for its reasoning models."""

    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = 20
    min_p: float = 0.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    max_tokens: int = 4096
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sampler_args(self) -> SamplerArgs:
        """The sampler chain's settings, as ``Llama.generate`` takes them."""
        return SamplerArgs(
            top_k=self.top_k,
            top_p=self.top_p,
            min_p=self.min_p,
            temp=self.temperature,
            repeat_penalty=self.repeat_penalty,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sampling:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """One generation. Give ``messages`` (chat, rendered with the model's template)
    or ``prompt`` (raw text, sent as is)."""

    messages: tuple[ChatMessage, ...] = ()
    prompt: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    stop: tuple[str, ...] = ("<|im_end|>",)
    # Spec for metre-constrained decoding; the worker hands it to app.compose.constraint
    # (build_token_source or build_logits_processor; see docs/engine.md).
    constraint: dict[str, Any] | None = None
    id: str = ""
    # Thinking (app.engine.thinking): None leaves it to the chat template; True/False sets
    # the template's enable_thinking switch and makes the prompt agree.
    thinking: bool | None = None
    # The most <think> tokens before the engine closes thinking itself (None: no limit).
    think_budget: int | None = None

    def __post_init__(self) -> None:
        if not self.messages and self.prompt is None:
            raise ValueError("a request needs messages or a prompt")
        if self.think_budget is not None and (
            isinstance(self.think_budget, bool)
            or not isinstance(self.think_budget, int)
            or self.think_budget < 0
        ):
            raise ValueError(f"think_budget must be a whole number ≥ 0: {self.think_budget!r}")
        if not self.id:
            object.__setattr__(self, "id", new_request_id())

    def with_seed(self, seed: int | None) -> GenerateRequest:
        """A copy with another seed and a fresh id (for the next candidate)."""
        return replace(self, sampling=replace(self.sampling, seed=seed), id=new_request_id())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "messages": [m.to_dict() for m in self.messages],
            "prompt": self.prompt,
            "sampling": self.sampling.to_dict(),
            "stop": list(self.stop),
            "constraint": self.constraint,
            "thinking": self.thinking,
            "think_budget": self.think_budget,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerateRequest:
        return cls(
            id=str(data.get("id") or ""),
            messages=tuple(
                ChatMessage(role=m["role"], content=str(m["content"]))
                for m in data.get("messages") or ()
            ),
            prompt=data.get("prompt"),
            sampling=Sampling.from_dict(data.get("sampling") or {}),
            stop=tuple(str(s) for s in data.get("stop") or ()),
            constraint=data.get("constraint"),
            thinking=None if data.get("thinking") is None else bool(data.get("thinking")),
            think_budget=data.get("think_budget"),
        )


GpuLayers = int | Literal["auto"]


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """How to load a model in the engine process.

    ``n_gpu_layers``: ``"auto"`` (choose from free VRAM; 0 without a GPU build or
    GPU), 0 (CPU), -1 (all layers) or a number. ``flash_attn``: ``"auto"`` turns
    it on when layers are offloaded. ``cooperative_cancel`` lets a cancel stop
    llama.cpp inside a batch on CPU (an abort callback); without it a cancel
    during prompt processing waits for the batch or for the client's kill
    deadline.
    """

    model_path: str
    n_ctx: int = DEFAULT_N_CTX
    n_gpu_layers: GpuLayers = "auto"
    flash_attn: bool | Literal["auto"] = "auto"
    n_threads: int | None = None
    n_batch: int = 512
    vram_reserve_mb: int = 1024
    cooperative_cancel: bool = True
    chat_template: str | None = None  # overrides the GGUF's own template

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadConfig:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        cfg = cls(**known)
        if cfg.n_gpu_layers != "auto" and not isinstance(cfg.n_gpu_layers, int):
            raise ValueError(f"n_gpu_layers must be 'auto' or an integer: {cfg.n_gpu_layers!r}")
        return cfg


def new_request_id() -> str:
    """A fresh request id."""
    return "r" + uuid.uuid4().hex[:12]
