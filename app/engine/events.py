"""What comes back from an engine: token deltas, a final summary, errors, a crash.

Every backend (the local engine process, a remote OpenAI-compatible server)
yields these same types, so the window does not care where a poem comes from.
A stream of one request may begin with :class:`Started` (the local engine took
the request and is processing the prompt), carries :class:`Token` events, and
ends with exactly one terminal event: :class:`Done`, :class:`EngineError` or
:class:`EngineCrashed`.
"""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "Done",
    "EngineCrashed",
    "EngineError",
    "EngineEvent",
    "GenerationStats",
    "LoadedInfo",
    "MemoryEstimate",
    "Started",
    "Token",
    "is_terminal",
]

FinishReason = Literal["stop", "length", "cancelled", "error"]
Lang = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class Started:
    """The engine took the request: the prompt is being processed now."""

    request_id: str
    prompt_tokens: int
    cached_tokens: int = 0  # of those, reused from the previous request's KV cache
    think_open: bool = False  # the output starts inside <think> (the prompt opened it)


@dataclass(frozen=True, slots=True)
class Token:
    """New text from the model (one or a few tokens)."""

    request_id: str
    text: str
    n_tokens: int = 1
    forced: str = ""  # why the engine wrote these tokens itself ("think_budget"), if it did


@dataclass(frozen=True, slots=True)
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_ms: float = 0.0  # time to process the prompt (until the first token)
    generation_ms: float = 0.0  # time from the first to the last token
    finish_reason: FinishReason = "stop"
    cached_tokens: int = 0  # prompt tokens reused from the previous request
    think_tokens: int = 0  # tokens inside <think> (when the engine followed thinking)
    think_end: str = ""  # "model", "budget" (the engine closed it), "unclosed" or ""

    @property
    def tokens_per_s(self) -> float:
        if self.generation_ms <= 0 or self.completion_tokens <= 1:
            return 0.0
        return (self.completion_tokens - 1) / (self.generation_ms / 1000.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tokens_per_s"] = round(self.tokens_per_s, 2)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationStats:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Done:
    """The request ended normally, by a stop, the token limit, or a cancel."""

    request_id: str
    stats: GenerationStats
    note: str = ""  # e.g. "the engine was restarted to stop the prompt"

    @property
    def cancelled(self) -> bool:
        return self.stats.finish_reason == "cancelled"


@dataclass(frozen=True, slots=True)
class EngineError:
    """The request failed; the engine (if local) is still alive."""

    request_id: str
    code: str  # machine-readable: "no_model", "bad_request", "http_401", "connection", …
    zh: str
    en: str

    def message(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class EngineCrashed:
    """The engine process died (SIGKILL, SIGABRT from a CUDA out-of-memory, …).

    ``stderr_tail`` holds the last lines of the engine's log (llama.cpp's own output, a
    backtrace) for the app's log and a bug report; :meth:`message` — what the poet reads —
    says what happened and what it suggests, without them. ``model_path`` is the model
    the engine was loading (``loading``) or running when it died, when known."""

    request_id: str
    exit_code: int | None
    stderr_tail: str = ""
    model_path: str = ""
    loading: bool = False

    @property
    def signal_name(self) -> str | None:
        if self.exit_code is None or self.exit_code >= 0:
            return None
        try:
            return signal.Signals(-self.exit_code).name
        except ValueError:
            return f"signal {-self.exit_code}"

    def message(self, lang: Lang = "zh") -> str:
        sig = self.signal_name
        name = self.model_path.replace("\\", "/").rsplit("/", 1)[-1]
        if lang == "zh":
            how = f"被信号 {sig} 终止" if sig else f"退出码 {self.exit_code}"
            if self.loading and name:
                return (
                    f"推理进程在加载模型 {name} 时意外退出（{how}）。模型文件可能已损坏，"
                    "或是本程序所带的 llama.cpp 不支持的模型：请换一个文件，或重新下载。"
                    "详细记录已写入日志。"
                )
            return f"推理进程意外退出（{how}）。" + (f"当时在用模型 {name}。" if name else "")
        how = f"killed by {sig}" if sig else f"exit code {self.exit_code}"
        if self.loading and name:
            return (
                f"The inference process died ({how}) while loading {name}. The file is "
                "probably damaged, or a model this app's llama.cpp does not support: choose "
                "another file, or download it again. The details are in the log."
            )
        return f"The inference process died ({how})." + (f" It was running {name}." if name else "")


EngineEvent = Started | Token | Done | EngineError | EngineCrashed


def is_terminal(event: EngineEvent) -> bool:
    return not isinstance(event, (Started, Token))


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    """Estimated bytes a load needs: on the GPU, in system memory, and of that the
    KV cache and the compute buffers (zeros when the model's shape is unknown)."""

    gpu_bytes: int = 0
    cpu_bytes: int = 0
    kv_bytes: int = 0
    compute_bytes: int = 0

    @property
    def total(self) -> int:
        return self.gpu_bytes + self.cpu_bytes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryEstimate:
        known = {k: int(data[k]) for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class LoadedInfo:
    """What the engine did when loading: where the model runs and why."""

    model_path: str
    backend: Literal["cpu", "cuda", "gpu", "remote"]
    n_gpu_layers: int  # layers offloaded (-1: all)
    n_layers: int | None
    n_ctx: int
    flash_attn: bool
    reason_zh: str
    reason_en: str
    free_vram: int | None = None
    memory: MemoryEstimate = field(default_factory=MemoryEstimate)
    load_ms: float = 0.0
    chat_template: str = ""  # "gguf" (the model's own), "chatml" (fallback) or "custom"
    llama_cpp_version: str = ""
    # Something the poet should know about the load (a chat template that does not work
    # and was replaced); empty when there is nothing to say.
    notice_zh: str = ""
    notice_en: str = ""

    def reason(self, lang: Lang = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def notice(self, lang: Lang = "zh") -> str:
        return self.notice_zh if lang == "zh" else self.notice_en

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["memory"] = self.memory.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadedInfo:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["memory"] = MemoryEstimate.from_dict(data.get("memory") or {})
        return cls(**known)
