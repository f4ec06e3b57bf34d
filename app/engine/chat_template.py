"""Turn chat messages into the model's prompt text.

The model's own template (the GGUF's ``tokenizer.chat_template``, a Jinja
template) is used when it has one, rendered by llama-cpp-python's
``Jinja2ChatFormatter``; otherwise ChatML, the format of the Qwen family and the
app's own template for all its prompt styles (reasoning, general, Qwen3 — the
Qwen3 thinking switch is applied by :func:`app.engine.thinking.render_prompt`
whatever the template does).

**A template that does not work** — not valid Jinja (``{% if %}``, an unknown tag
such as ``{% foo %}``), or one that fails when rendering a plain conversation — does
not stop the model from loading: :class:`ChatRenderer` falls back to ChatML and
says why in ``problem``. llama-cpp-python itself compiles every chat template of a
GGUF inside ``Llama(...)`` and raises ``jinja2.TemplateSyntaxError`` (not a
``ValueError``) for a bad one, which would end the load; construct the model inside
:func:`tolerant_template_compilation` so such a template is replaced by ChatML there
too (the high-level chat handlers it builds are not used by 诗笺: prompts are
rendered here).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.engine.requests import ChatMessage

__all__ = ["CHATML_TEMPLATE", "ChatRenderer", "render_chatml", "tolerant_template_compilation"]

# ChatML as a Jinja template (what render_chatml writes), for llama-cpp-python's handlers.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# The one conversation every working chat template renders (tried once at load; some
# templates refuse a system turn, so it has none).
_TRIAL = [{"role": "user", "content": "写一首五言绝句。"}]


def render_chatml(messages: Sequence[ChatMessage], *, add_generation_prompt: bool = True) -> str:
    """ChatML: ``<|im_start|>role\\ncontent<|im_end|>\\n`` … ``<|im_start|>assistant\\n``."""
    out = [f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages]
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = getattr(exc, "lineno", None)
    where = f" (line {line})" if isinstance(line, int) else ""
    return f"{type(exc).__name__}{where}: {text}" if text else type(exc).__name__


class ChatRenderer:
    """Renders messages with a Jinja chat template, or ChatML when there is none or it
    does not work (``problem`` then says what was wrong with it)."""

    def __init__(self, template: str | None, *, bos_token: str = "", eos_token: str = "") -> None:
        self.kind = "chatml"
        self.problem = ""
        self._render: Callable[..., str] | None = None
        if not template:
            return
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            formatter: Any = Jinja2ChatFormatter(
                template=template,
                eos_token=eos_token,
                bos_token=bos_token,
                add_generation_prompt=True,
            )

            def render(messages: list[dict[str, str]], **variables: object) -> str:
                return str(formatter(messages=messages, **variables).prompt)

            render(list(_TRIAL))
        except Exception as exc:  # any template error: Jinja's, or the template's own raise
            self.problem = _describe(exc)
            return
        self._render = render
        self.kind = "template"

    def __call__(self, messages: Sequence[ChatMessage], **variables: object) -> str:
        """The prompt; ``variables`` reach the template (``enable_thinking=False``)."""
        if self._render is None:
            return render_chatml(messages)
        return self._render([m.to_dict() for m in messages], **variables)


@contextlib.contextmanager
def tolerant_template_compilation() -> Iterator[list[str]]:
    """While ``llama_cpp.Llama(...)`` runs inside this block, a chat template of the GGUF
    that cannot be compiled is replaced by ChatML instead of failing the load. Yields the
    list the problems found are added to."""
    from llama_cpp import llama_chat_format

    original = llama_chat_format.Jinja2ChatFormatter
    problems: list[str] = []

    class Tolerant(original):  # type: ignore[misc, valid-type]
        def __init__(self, template: str, *args: Any, **kwargs: Any) -> None:
            try:
                super().__init__(template, *args, **kwargs)
            except Exception as exc:
                problems.append(_describe(exc))
                super().__init__(CHATML_TEMPLATE, *args, **kwargs)

    llama_chat_format.Jinja2ChatFormatter = Tolerant  # type: ignore[misc]
    try:
        yield problems
    finally:
        llama_chat_format.Jinja2ChatFormatter = original  # type: ignore[misc]
