"""The tiny qwen3 model against the tiny qwen2 one through the engine, and what the
thinking budget costs.

Both models are the tests' random-weight ones (2 layers, 64 wide, the Qwen2 vocabulary;
qwen3 with Qwen3's tokens and template). For a like-for-like comparison the qwen3 model
here has the same head width as the qwen2 one (16), so the two differ only by what the
architectures differ by: qwen3's per-head q/k RMS norms against qwen2's q/k/v biases.
Runs are interleaved (one request at a time, alternating), with the same settings, a new
prompt each run, and timestamps where the tokens arrive in this thread:

* **qwen2 / qwen3**: tokens per second between the first and the last token, and the
  first token's latency (request sent → first token in hand, prompt processing included);
* **budget, never reached**: qwen3 with thinking on and a budget above the run's length
  (``BudgetedSource`` looks at every token) against the same requests without a budget
  (plain ``Llama.generate``);
* **budget reached**: a budget of half the run: the gap from the last thinking token to
  the first answer token (the forced ``\\n</think>\\n\\n``, evaluated in one batch, and a
  new ``Llama.generate``) against the median gap between two tokens.

The same two budget measures are repeated in this process (``BudgetedSource`` against
``Llama.generate`` on one ``Llama``, one thread for batches too): llama.cpp evaluates a
batch of tokens with ``n_threads_batch`` threads (all cores by default), and on a machine
whose cores are all busy a multi-token batch waits for a second thread to be scheduled —
the engine figures then show that wait, not the budget.

    python bench/qwen3_engine.py [--tokens 200] [--runs 15]
"""

from __future__ import annotations

import argparse
import itertools
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

from app.engine.client import EngineClient  # noqa: E402
from app.engine.events import Done, Started, Token  # noqa: E402
from app.engine.requests import ChatMessage, GenerateRequest, LoadConfig, Sampling  # noqa: E402


def messages(i: int) -> tuple[ChatMessage, ...]:
    # the number comes first: no request reuses an earlier one's prompt from the KV cache
    text = f"{i}：第{i}首，请以秋夜为题，创作一首七言绝句，押平水韵下平十一尤。"
    return (ChatMessage("user", text),)


def run(
    client: EngineClient, i: int, tokens: int, *, thinking: bool | None, budget: int | None
) -> dict[str, Any]:
    request = GenerateRequest(
        messages=messages(i),
        sampling=Sampling(max_tokens=tokens, seed=1000 + i),
        stop=(),
        thinking=thinking,
        think_budget=budget,
    )
    t0 = time.perf_counter()
    stamps: list[float] = []
    forced_at: int | None = None  # index in stamps of the first forced token
    forced_n = 0
    stats: Any = None
    for event in client.generate(request):
        if isinstance(event, Token):
            now = time.perf_counter()
            if event.forced:
                if forced_at is None:
                    forced_at = len(stamps)
                forced_n += event.n_tokens
            stamps.extend([now] * max(1, event.n_tokens))
        elif isinstance(event, Done):
            stats = event.stats
        elif not isinstance(event, Started):
            raise RuntimeError(f"engine failed: {event}")
    if len(stamps) < 3:
        raise RuntimeError("too few tokens to measure")
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    row: dict[str, Any] = {
        "tokens": len(stamps),
        "first_token_ms": (stamps[0] - t0) * 1000.0,
        "tokens_per_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
        "gap_ms": statistics.median(gaps) * 1000.0,
        "think_tokens": stats.think_tokens if stats else 0,
    }
    if forced_at is not None and forced_at > 0 and forced_at + forced_n < len(stamps):
        # last model token before the close → first model token after it
        row["close_gap_ms"] = (stamps[forced_at + forced_n] - stamps[forced_at - 1]) * 1000.0
    return row


def in_process(model: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Budget never reached / reached, in this process with one batch thread."""
    import llama_cpp

    from app.engine.thinking import BudgetedSource, ThinkTracker

    llama = llama_cpp.Llama(str(model), n_ctx=2048, n_threads=1, n_threads_batch=1,
                            verbose=False)  # fmt: skip
    sampling = Sampling(max_tokens=args.tokens)
    rows: dict[str, list[dict[str, float]]] = {"none": [], "unreached": [], "half": []}
    for i in range(args.warmup + args.runs):
        for k, key in enumerate(rows):
            n = 10_000 + i * 3 + k
            text = f"<|im_start|>user\n{messages(n)[0].content}<|im_end|>\n<|im_start|>assistant\n"
            prompt = llama.tokenize((text + "<think>\n").encode(), add_bos=False, special=True)
            llama.set_seed(n)
            if key == "none":
                gen: Any = llama.generate(prompt, top_k=20, top_p=0.95, min_p=0.0, temp=0.6)
                source = None
            else:
                budget = args.tokens * 10 if key == "unreached" else args.tokens // 2
                source = BudgetedSource(llama, sampling, ThinkTracker(budget, open_at_start=True))
                gen = source(prompt)
            stamps: list[float] = []
            tags: list[str] = []
            for _token in gen:
                stamps.append(time.perf_counter())
                tags.append(source.tag() if source is not None else "")
                if len(stamps) >= args.tokens:
                    break
            gen.close()
            if i < args.warmup:
                continue
            gaps = [b - a for a, b in itertools.pairwise(stamps)]
            row = {"tokens_per_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
                   "gap_ms": statistics.median(gaps) * 1000.0}  # fmt: skip
            if "think_budget" in tags:
                at = tags.index("think_budget")
                forced = tags.count("think_budget")
                row["close_gap_ms"] = (stamps[at + forced] - stamps[at - 1]) * 1000.0
            rows[key].append(row)
    llama.close()
    out: dict[str, Any] = {k: {"tokens_per_s": round(med(v, "tokens_per_s"), 1),
                               "median_gap_ms": round(med(v, "gap_ms"), 3)}
                           for k, v in rows.items()}  # fmt: skip
    out["half"]["close_gap_ms"] = round(med(rows["half"], "close_gap_ms"), 3)
    out["unreached_over_none_tokens_per_s"] = round(
        statistics.median(
            b["tokens_per_s"] / a["tokens_per_s"]
            for a, b in zip(rows["none"], rows["unreached"], strict=True)
        ),
        3,
    )
    return out


def med(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows if key in r))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model, write_qwen3_model

    with tempfile.TemporaryDirectory() as tmp:
        vocab = fetch_qwen2_vocab(ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab")
        qwen2 = write_qwen2_model(Path(tmp) / "tiny-qwen2.gguf", vocab)
        qwen3 = write_qwen3_model(Path(tmp) / "tiny-qwen3.gguf", vocab, head_dim=16)
        qwen3_path = qwen3
        clients = {}
        for name, path in (("qwen2", qwen2), ("qwen3", qwen3)):
            client = EngineClient()
            client.start()
            client.load(LoadConfig(str(path), n_ctx=2048, n_batch=512, flash_attn=False))
            clients[name] = client
        half = args.tokens // 2
        plans = {
            "qwen2": ("qwen2", None, None),
            "qwen3": ("qwen3", None, None),
            "qwen3_budget_unreached": ("qwen3", True, args.tokens * 10),
            "qwen3_budget_half": ("qwen3", True, half),
        }
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in plans}
        for i in range(args.warmup + args.runs):
            for k, (key, (model, thinking, budget)) in enumerate(plans.items()):
                n = i * len(plans) + k  # a new prompt for every request
                row = run(clients[model], n, args.tokens, thinking=thinking, budget=budget)
                if i >= args.warmup:
                    rows[key].append(row)
        for client in clients.values():
            client.stop()
        inproc = in_process(qwen3_path, args)

    result: dict[str, Any] = {
        "in_process": inproc,
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "tokens_per_run": args.tokens,
        "runs": args.runs,
    }
    for key, got in rows.items():
        result[key] = {
            "tokens_per_s": round(med(got, "tokens_per_s"), 1),
            "first_token_ms": round(med(got, "first_token_ms"), 2),
            "median_gap_ms": round(med(got, "gap_ms"), 3),
        }
    half_rows = rows["qwen3_budget_half"]
    result["qwen3_budget_half"]["think_tokens"] = sorted(r["think_tokens"] for r in half_rows)
    result["qwen3_budget_half"]["close_gap_ms"] = round(med(half_rows, "close_gap_ms"), 3)
    result["qwen3_over_qwen2_tokens_per_s"] = round(
        result["qwen3"]["tokens_per_s"] / result["qwen2"]["tokens_per_s"], 3
    )
    result["budget_unreached_over_none_tokens_per_s"] = round(
        statistics.median(
            b["tokens_per_s"] / a["tokens_per_s"]
            for a, b in zip(rows["qwen3"], rows["qwen3_budget_unreached"], strict=True)
        ),
        3,
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
