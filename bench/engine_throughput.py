"""Token delivery through the engine process vs raw llama-cpp-python (targets: ≥ 0.97× t/s,
≤ 50 ms extra first-token latency).

Runs the same model with the same settings two ways, interleaved run by run (never at
the same time, so they do not share the CPU; a busy machine slows both alike):

* **raw**: ``llama_cpp.Llama.generate`` in this process, each token detokenized as it
  comes (what any in-process streaming front end does);
* **engine**: ``EngineClient.generate`` — the separate ``app.engine.worker`` process,
  one JSON line per token over a pipe, read by the client's thread, handed to this
  thread through a queue. Timestamps are taken where the tokens arrive in this thread.

For each run it records the first-token latency (from the call to the first token in
hand, prompt processing included) and the token rate between the first and the last
token. On a busy machine the first-token comparison with the raw run is noisy (each
side's prompt processing is scheduled differently), so the engine run also reports
``boundary_first_token_ms``: the first token as the client saw it minus the worker's
own measure from receiving the request to sampling that token — the cost of the
process boundary alone (command out, token back, parsing, the queue hand-off).
Each run uses a new prompt, so both sides process a prompt every time (the chat
template's shared prefix is reused by both). Reports medians, and the engine both with
llama.cpp's abort callback (the default: cancel works inside a batch) and without.

    python bench/engine_throughput.py [--model PATH] [--tokens 256] [--runs 7]

Without ``--model`` it writes the tiny random-weight qwen2 model the tests use (real
Qwen2 tokenizer; vocabulary via $SHIJIAN_TEST_QWEN2_VOCAB or downloaded once).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.chat_template import ChatRenderer  # noqa: E402
from app.engine.client import EngineClient  # noqa: E402
from app.engine.events import Done, Token  # noqa: E402
from app.engine.requests import ChatMessage, GenerateRequest, LoadConfig, Sampling  # noqa: E402


def prompt_messages(i: int) -> tuple[ChatMessage, ...]:
    return (
        ChatMessage(
            "system", "Respond in the following format:<think>...</think><answer>...</answer>"
        ),
        ChatMessage("user", f"第{i}首：请以秋夜为题，创作一首七言绝句，押平水韵下平十一尤。"),
    )


class Raw:
    """llama-cpp-python in this process."""

    def __init__(self, model: Path, args: argparse.Namespace) -> None:
        import llama_cpp

        self.lib = llama_cpp
        self.args = args
        self.llama = llama_cpp.Llama(
            str(model), n_ctx=args.n_ctx, n_batch=512, n_ubatch=512, flash_attn=False,
            verbose=False,
        )  # fmt: skip
        self.render = ChatRenderer(self.llama.metadata.get("tokenizer.chat_template"))
        self.vocab = llama_cpp.llama_model_get_vocab(self.llama.model)

    def run(self, i: int) -> dict[str, float]:
        llama = self.llama
        text = self.render(prompt_messages(i))
        t0 = time.perf_counter()
        tokens = llama.tokenize(text.encode(), add_bos=False, special=True)
        llama.set_seed(1000 + i)
        stamps: list[float] = []
        gen = llama.generate(tokens, top_k=20, top_p=0.95, min_p=0.0, temp=0.6)
        for tok in gen:
            if self.lib.llama_vocab_is_eog(self.vocab, tok):
                break
            llama.detokenize([tok])
            stamps.append(time.perf_counter())
            if len(stamps) >= self.args.tokens:
                break
        gen.close()
        return summarize(t0, stamps)


class Engine:
    """The engine process through EngineClient."""

    def __init__(self, model: Path, args: argparse.Namespace, cooperative: bool) -> None:
        self.args = args
        self.client = EngineClient()
        self.client.start()
        self.client.load(
            LoadConfig(
                str(model), n_ctx=args.n_ctx, n_batch=512, flash_attn=False,
                cooperative_cancel=cooperative,
            )
        )  # fmt: skip

    def run(self, i: int) -> dict[str, float]:
        req = GenerateRequest(
            messages=prompt_messages(i),
            sampling=Sampling(max_tokens=self.args.tokens, seed=1000 + i),
            stop=(),
        )
        t0 = time.perf_counter()
        stamps: list[float] = []
        worker_prompt_ms = 0.0
        for event in self.client.generate(req):
            if isinstance(event, Token):
                now = time.perf_counter()
                stamps.extend([now] * max(1, event.n_tokens))
            elif isinstance(event, Done):
                worker_prompt_ms = event.stats.prompt_ms
            else:
                raise RuntimeError(f"engine failed: {event}")
        row = summarize(t0, stamps)
        # What the process boundary adds to the first token: the time the client saw
        # minus the worker's own measure (request received → first token sampled).
        row["boundary_ms"] = row["first_token_ms"] - worker_prompt_ms
        return row

    def ping_ms(self) -> float:
        pings = []
        for _ in range(50):
            t = time.perf_counter()
            self.client.ping()
            pings.append((time.perf_counter() - t) * 1000)
        return statistics.median(pings)


def summarize(t0: float, stamps: list[float]) -> dict[str, float]:
    if len(stamps) < 2:
        raise RuntimeError("too few tokens to measure; try another seed or model")
    return {
        "tokens": len(stamps),
        "first_token_ms": (stamps[0] - t0) * 1000.0,
        "tokens_per_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
    }


def med(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows if key in r)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="a GGUF model (default: the tiny test model)")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=2048)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model

            cache = ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab"
            model = write_qwen2_model(Path(tmp) / "tiny.gguf", fetch_qwen2_vocab(cache))
        raw_side = Raw(model, args)
        coop_side = Engine(model, args, cooperative=True)
        plain_side = Engine(model, args, cooperative=False)
        raw: list[dict[str, float]] = []
        coop: list[dict[str, float]] = []
        plain: list[dict[str, float]] = []
        # Interleaved, one at a time: a busy machine slows all three alike.
        for i in range(args.warmup + args.runs):
            rows = raw_side.run(i), coop_side.run(i), plain_side.run(i)
            if i >= args.warmup:
                raw.append(rows[0])
                coop.append(rows[1])
                plain.append(rows[2])
        ping = coop_side.ping_ms()
        coop_side.client.stop()
        plain_side.client.stop()

    result: dict[str, Any] = {
        "model": model.name,
        "cpu_count": os.cpu_count(),
        "tokens_per_run": args.tokens,
        "runs": args.runs,
        "raw_tokens_per_s": round(med(raw, "tokens_per_s"), 1),
        "engine_tokens_per_s": round(med(coop, "tokens_per_s"), 1),
        "engine_no_abort_cb_tokens_per_s": round(med(plain, "tokens_per_s"), 1),
        "raw_first_token_ms": round(med(raw, "first_token_ms"), 2),
        "engine_first_token_ms": round(med(coop, "first_token_ms"), 2),
        "engine_no_abort_cb_first_token_ms": round(med(plain, "first_token_ms"), 2),
        "ping_round_trip_ms": round(ping, 3),
        "boundary_first_token_ms": round(med(coop, "boundary_ms"), 2),
        "per_run_ratio_median": round(
            statistics.median(
                c["tokens_per_s"] / r["tokens_per_s"] for c, r in zip(coop, raw, strict=True)
            ),
            3,
        ),
        "per_run_extra_first_token_ms_median": round(
            statistics.median(
                c["first_token_ms"] - r["first_token_ms"] for c, r in zip(coop, raw, strict=True)
            ),
            2,
        ),
    }
    result["ratio"] = round(result["engine_tokens_per_s"] / result["raw_tokens_per_s"], 3)
    result["ratio_no_abort_cb"] = round(
        result["engine_no_abort_cb_tokens_per_s"] / result["raw_tokens_per_s"], 3
    )
    result["extra_first_token_ms"] = round(
        result["engine_first_token_ms"] - result["raw_first_token_ms"], 2
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
