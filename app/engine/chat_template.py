"""Turn chat messages into the model's prompt text.

The model's own template (the GGUF's ``tokenizer.chat_template``, a Jinja
template) is used when it has one, rendered by llama-cpp-python's
``Jinja2ChatFormatter``; otherwise ChatML, the format of the Qwen family.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.engine.requests import ChatMessage

__all__ = ["ChatRenderer", "render_chatml"]


def render_chatml(messages: Sequence[ChatMessage], *, add_generation_prompt: bool = True) -> str:
    """ChatML: ``<|im_start|>role\\ncontent<|im_end|>\\n`` … ``<|im_start|>assistant\\n``."""
    out = [f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages]
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


class ChatRenderer:
    """Renders messages with a Jinja chat template, or ChatML when there is none."""

    def __init__(self, template: str | None, *, bos_token: str = "", eos_token: str = "") -> None:
        self.kind = "chatml"
        self._render: Callable[..., str] | None = None
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            formatter: Any = Jinja2ChatFormatter(
                template=template,
                eos_token=eos_token,
                bos_token=bos_token,
                add_generation_prompt=True,
            )

            def render(messages: list[dict[str, str]], **variables: object) -> str:
                return str(formatter(messages=messages, **variables).prompt)

            self._render = render
            self.kind = "template"

    def __call__(self, messages: Sequence[ChatMessage], **variables: object) -> str:
        """The prompt; ``variables`` reach the template (``enable_thinking=False``)."""
        if self._render is None:
            return render_chatml(messages)
        return self._render([m.to_dict() for m in messages], **variables)
