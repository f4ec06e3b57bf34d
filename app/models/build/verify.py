"""Stage 4: is the built file the model it claims to be?

1. **Metadata** (our own header reader): architecture, layers, widths, heads, key/value
   heads, feed-forward width, context, rope base, RMS epsilon, vocabulary size and the
   quantization match ``config.json`` and the plan.
2. **Tokenization**: a set of texts (regulated verse, traditional characters, mixed
   scripts, digits, whitespace runs, chat special tokens) is tokenized by llama.cpp
   from the built file and by :class:`app.convert.bpe.ReferenceTokenizer` from the
   original ``tokenizer.json``; every id must agree.
3. **Loading and a short generation** in a child process (llama.cpp, CPU, small
   context): the file loads and produces tokens.
4. **SHA-256** of the file, for the registry.

Any difference stops the build before the file is registered.
"""

from __future__ import annotations

import collections
import json
import subprocess
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.convert import read_config
from app.convert.bpe import ReferenceTokenizer
from app.models.build.estimate import quant_ftype
from app.models.build.quantize import child_command, child_env
from app.models.download.partfile import hash_file
from app.models.errors import ModelError
from app.models.gguf.header import read_gguf

VERIFY_TEXTS: tuple[str, ...] = (
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
    "國破山河在，城春草木深。感時花濺淚，恨別鳥驚心。",
    "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。",
    "平仄平平仄，平平仄仄平。仄平平仄仄，平仄仄平平。",
    "七言律诗：首联、颔联、颈联、尾联；押平水韵下平声七阳。",
    "《静夜思》——李白（701—762）",
    "“春眠不觉晓”‘处处闻啼鸟’！？……",
    "Li Bai wrote 'Quiet Night Thought' in 726; it's 20 characters long.",
    "The model's answer isn't final: we'll check it, they'd say.",
    "1234567890 3.14159 2024-06-01 100%",
    "mixed 中英 text with 数字 42 and punctuation: [a] {b} (c) <d>",
    "  leading spaces\tand tabs\n\nnew lines\r\n",
    "    ",
    "\n\n\n",
    "emoji 🌙🏮🍵 and accents éàü",
    "<|im_start|>system\nYou are a poet.<|im_end|>\n<|im_start|>user\n写一首五言绝句<|im_end|>\n",
    "<|im_start|>assistant\n<think>先定韵脚</think><answer>山色有无中</answer><|im_end|>",
    "<|endoftext|>",
    "韻書：平水韻一東、二冬、三江；詞林正韻第一部。",
    "a" * 40,
    "中" * 40,
)


@dataclass(frozen=True)
class VerifyProgress:
    phase: str  # "metadata", "load", "hash"
    fraction: float


@dataclass(frozen=True)
class VerifyReport:
    sha256: str
    generated: str
    generated_tokens: int
    texts_checked: int


class VerifyFailedError(ModelError):
    pass


def check_metadata(gguf_path: Path, original_dir: Path, quant: str) -> None:
    """The built file's header against ``config.json`` (raises naming each difference)."""
    cfg = read_config(original_dir / "config.json")
    info = read_gguf(gguf_path)
    arch = info.architecture
    meta = info.metadata
    expected: list[tuple[str, object, object]] = [
        ("general.architecture", cfg.arch.gguf_arch, arch),
        ("block_count", cfg.n_layer, info.block_count),
        ("embedding_length", cfg.n_embd, info.embedding_length),
        ("attention.head_count", cfg.n_head, info.head_count),
        ("attention.head_count_kv", cfg.n_head_kv, info.head_count_kv),
        ("feed_forward_length", cfg.n_ff, info.feed_forward_length),
        ("context_length", cfg.n_ctx, info.context_length),
        ("vocabulary", cfg.n_vocab, info.vocab_size),
        ("general.file_type", quant_ftype(quant), meta.get("general.file_type")),
    ]
    floats = [
        ("rope.freq_base", cfg.rope_theta, meta.get(f"{arch}.rope.freq_base")),
        (
            "layer_norm_rms_epsilon",
            cfg.rms_eps,
            meta.get(f"{arch}.attention.layer_norm_rms_epsilon"),
        ),
    ]
    wrong = [f"{key}: config.json {want}, GGUF {got}" for key, want, got in expected if want != got]
    for key, want_f, got_f in floats:
        if not isinstance(got_f, (int, float)) or abs(float(got_f) - want_f) > 1e-6 * max(
            1.0, abs(want_f)
        ):
            wrong.append(f"{key}: config.json {want_f}, GGUF {got_f}")
    if wrong:
        raise VerifyFailedError(
            "生成的文件与 config.json 不符：" + "；".join(wrong),
            "The built file does not match config.json: " + "; ".join(wrong),
        )


def _run_child(
    request: dict[str, Any], command: Sequence[str] | None, cancel: threading.Event
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="shijian-verify-") as tmp:
        path = Path(tmp) / "request.json"
        path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        proc = subprocess.Popen(
            [*(command or child_command()), "verify", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=child_env(),
            start_new_session=True,
        )
        tail: collections.deque[str] = collections.deque(maxlen=20)

        def read_stderr() -> None:
            assert proc.stderr is not None
            for raw in proc.stderr:
                tail.append(raw.decode("utf-8", "replace").rstrip())

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        assert proc.stdout is not None
        out: list[bytes] = []
        stdout_reader = threading.Thread(target=lambda: out.extend(proc.stdout or []), daemon=True)
        stdout_reader.start()
        while proc.poll() is None:
            if cancel.wait(0.1):
                proc.kill()
                proc.wait()
                raise InterruptedError
        stdout_reader.join(timeout=5)
        reader.join(timeout=5)
    for raw in out:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if event.get("event") == "verified":
            return dict(event)
    detail = "\n".join(list(tail)[-6:])
    raise VerifyFailedError(
        f"llama.cpp 无法加载生成的文件（退出码 {proc.returncode}）：{detail}",
        f"llama.cpp could not load the built file (exit status {proc.returncode}): {detail}",
    )


def verify_build(
    gguf_path: Path,
    original_dir: Path,
    quant: str,
    *,
    progress: Callable[[VerifyProgress], None] | None = None,
    cancel: threading.Event | None = None,
    command: Sequence[str] | None = None,
    texts: Sequence[str] = VERIFY_TEXTS,
) -> VerifyReport:
    """Check ``gguf_path`` (see the module notes); raises :class:`VerifyFailedError`."""
    cancel = cancel or threading.Event()

    def report(phase: str, fraction: float) -> None:
        if progress is not None:
            progress(VerifyProgress(phase, fraction))

    report("metadata", 0.0)
    check_metadata(gguf_path, original_dir, quant)
    reference = ReferenceTokenizer.from_folder(original_dir)
    chosen = [t for t in texts if unicodedata.normalize("NFC", t) == t]
    report("load", 0.1)
    result = _run_child(
        {
            "model": str(gguf_path),
            "texts": chosen,
            "prompt": "床前明月光，",
            "max_tokens": 8,
            "n_ctx": 512,
        },
        command,
        cancel,
    )
    for text, got in zip(chosen, result["tokens"], strict=True):
        want = reference.encode(text)
        if list(got) != want:
            raise VerifyFailedError(
                f"生成的文件分词与原始分词器不同：{text!r} 应为 {want[:12]}…，"
                f"实际为 {list(got)[:12]}…",
                f"The built file tokenizes differently from the original tokenizer: {text!r} "
                f"should be {want[:12]}…, got {list(got)[:12]}…",
            )
    report("hash", 0.5)
    size = gguf_path.stat().st_size or 1
    digest = hash_file(  # InterruptedError on a pause
        gguf_path,
        on_progress=lambda n: report("hash", 0.5 + 0.5 * n / size),
        should_stop=cancel.is_set,
    )
    report("hash", 1.0)
    return VerifyReport(
        sha256=digest,
        generated=str(result.get("generated", "")),
        generated_tokens=int(result.get("generated_tokens", 0)),
        texts_checked=len(chosen),
    )
