"""What strict metre costs: time per token inside the answer with the constraint vs
without (target ≤ 1.05×), and building the vocabulary masks (first time and from the
disk cache).

Per-token time: the same model, prompt (a chat turn that ends in ``<answer>\\n``) and
sampling settings (top-k 20, top-p 0.95, temperature 0.6), run three ways, interleaved
run by run so a busy machine slows all alike:

* **free** — ``Llama.generate`` (the engine's unconstrained path);
* **strict** — :func:`app.compose.constraint.loop.constrained_tokens` (the engine's
  constrained path: in-place ``-inf`` on llama.cpp's logits, native sampler chain),
  timing only the tokens sampled inside the poem (not the forced tags);
* **processor** — ``Llama.generate`` with the same constraint as a Python
  ``logits_processor`` (the hook llama-cpp-python offers), for comparison.

The time of a token is the wall time between two tokens coming out of the generator
(the model's forward pass, the constraint, sampling). Free runs take as many tokens as
the strict run's poem had. Reports medians and means over all tokens of all runs after
a warm-up (the first requests build the per-state masks; their cost is reported apart).

    python bench/constraint_speed.py [--model PATH] [--runs 40] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.compose.constraint import ConstraintFactory, Phase, TokenConstraint  # noqa: E402
from app.compose.constraint.chars import CharPolicy, CharTable, book_universe  # noqa: E402
from app.compose.constraint.loop import constrained_tokens  # noqa: E402
from app.compose.constraint.masks import MaskTable  # noqa: E402
from app.compose.constraint.spec import metre_spec  # noqa: E402
from app.compose.vocab.llama import load_vocab_index  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402

FORMS = ("五绝", "七绝", "五律", "七律")
SAMPLING: dict[str, Any] = {
    "top_k": 20, "top_p": 0.95, "min_p": 0.0, "temp": 0.6,
    "repeat_penalty": 1.0, "presence_penalty": 0.0, "frequency_penalty": 0.0,
}  # fmt: skip


def raw_prompt(user: str) -> str:
    """A ChatML prompt asking ``user`` with thinking already closed: the answer is next."""
    return (
        "<|im_start|>system\nRespond in the following format:<think>...</think><answer>..."
        f"</answer><|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        "<think>\n</think>\n\n<answer>\n"
    )


PROMPT = raw_prompt("写一首诗")


def timed(gen: Any, keep: Any) -> list[float]:
    """Seconds per token of a token generator; ``keep()`` says whether to count it."""
    out: list[float] = []
    t = time.perf_counter()
    for _tok in gen:
        now = time.perf_counter()
        if keep():
            out.append(now - t)
        t = now
        if keep.done():
            break
    gen.close()
    return out


class Strict:
    """Counts tokens sampled in the poem; stops after the end-of-generation token."""

    def __init__(self, c: TokenConstraint) -> None:
        self.c = c
        self.before = c.phase

    def __call__(self) -> bool:
        was = self.before
        self.before = self.c.phase
        return was is Phase.POEM

    def done(self) -> bool:
        return self.c.phase is Phase.DONE


class Count:
    def __init__(self, n: int) -> None:
        self.n = n
        self.k = 0

    def __call__(self) -> bool:
        self.k += 1
        return True

    def done(self) -> bool:
        return self.k >= self.n


def stats(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    cut = len(xs) // 20  # 5 % trimmed on each side
    trimmed = xs[cut : len(xs) - cut] if cut else xs
    return {
        "n": len(xs),
        "median_ms": 1000 * statistics.median(xs),
        "mean_ms": 1000 * statistics.fmean(xs),
        "trimmed_mean_ms": 1000 * statistics.fmean(trimmed),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="a GGUF model (default: the tiny test model)")
    ap.add_argument("--runs", type=int, default=40, help="strict/free pairs per form")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import llama_cpp

    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model

            cache = ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab"
            model = write_qwen2_model(Path(tmp) / "tiny.gguf", fetch_qwen2_vocab(cache))
        llama: Any = llama_cpp.Llama(str(model), n_ctx=2048, verbose=False)
        book = RhymeBook.load()
        cache_dir = Path(tmp) / "cache"

        # ---------------------------------------------------------- building the masks
        miss = load_vocab_index(llama, cache_dir)
        hit = load_vocab_index(llama, cache_dir)
        universe = miss.index.han_chars | book_universe(book)
        key = f"vocab/{miss.index.digest}"
        t0 = time.perf_counter()
        _chars, chars_hit = CharTable.cached(book, universe, CharPolicy(), cache_dir, key)
        chars_miss_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        chars, chars_hit = CharTable.cached(book, universe, CharPolicy(), cache_dir, key)
        chars_hit_s = time.perf_counter() - t0
        assert chars_hit
        t0 = time.perf_counter()
        MaskTable(hit.index, chars)
        masks_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        factory = ConstraintFactory(llama, book=book, cache_dir=cache_dir)
        factory.table(CharPolicy())
        factory_s = time.perf_counter() - t0
        report["build"] = {
            "vocab_index_first_s": miss.seconds,
            "vocab_index_cached_s": hit.seconds,
            "char_table_first_s": chars_miss_s,
            "char_table_cached_s": chars_hit_s,
            "mask_table_s": masks_s,
            "factory_all_cached_s": factory_s,
            "vocab_file_kb": (miss.path.stat().st_size // 1024) if miss.path else 0,
        }
        tokens = llama.tokenize(PROMPT.encode(), add_bos=False, special=True)

        def strict(form: str, group: int, seed: int) -> list[float]:
            c = factory.build(metre_spec(form, group, think_budget=0))
            llama.set_seed(seed)
            return timed(constrained_tokens(llama, tokens, c, **SAMPLING), Strict(c))

        def free(n: int, seed: int) -> list[float]:
            llama.set_seed(seed)
            return timed(llama.generate(tokens, **SAMPLING), Count(n))

        def processor(form: str, group: int, seed: int, n: int) -> list[float]:
            c = factory.build(metre_spec(form, group, think_budget=0))
            llama.set_seed(seed)
            gen = llama.generate(tokens, logits_processor=[c.logits_processor()], **SAMPLING)
            return timed(gen, Count(n))

        # ---------------------------------------------------------- first requests (cold)
        cold: dict[str, float] = {}
        for form in FORMS:
            xs = strict(form, 0, 1)
            cold[form] = stats(xs)["mean_ms"]
        report["cold_first_request_mean_ms"] = cold
        for form in FORMS:  # warm-up: the states of all four forms, 30 groups
            for g in range(30):
                strict(form, g, 7 + g)
        # ---------------------------------------------------------- interleaved runs
        # "one group": each form keeps its rhyme group (a poet writing candidates);
        # "30 groups": every request another group (rhyme-dependent caches go cold).
        for mode in ("one group", "30 groups"):
            times: dict[str, list[float]] = {"strict": [], "free": [], "processor": []}
            per_form: dict[str, dict[str, list[float]]] = {}
            for r in range(args.runs):
                for i, form in enumerate(FORMS):
                    group = 5 + 6 * i if mode == "one group" else (r * 7 + i * 3) % 30
                    seed = 1000 + r * 4 + i
                    s = strict(form, group, seed)
                    f = free(len(s) + 1, seed)[1:]  # drop the first (prompt processing)
                    times["strict"] += s
                    times["free"] += f
                    per_form.setdefault(form, {"strict": [], "free": []})
                    per_form[form]["strict"] += s
                    per_form[form]["free"] += f
                    if r % 4 == 0:
                        times["processor"] += processor(form, group, seed, len(s) + 1)[1:]
            report[mode] = {
                "per_token": {k: stats(v) for k, v in times.items()},
                "per_form": {
                    form: {k: stats(v) for k, v in d.items()} for form, d in per_form.items()
                },
            }
        llama.close()

    b = report["build"]
    print(f"model: {model.name}\n")
    print("| building | seconds |\n| --- | ---: |")
    print(f"| vocabulary index, first time (151,936 tokens) | {b['vocab_index_first_s']:.2f} |")
    print(f"| vocabulary index, from the cache | {b['vocab_index_cached_s']:.2f} |")
    print(f"| character table, first time | {b['char_table_first_s']:.2f} |")
    print(f"| character table, from the cache | {b['char_table_cached_s']:.2f} |")
    print(f"| mask table (signature groups, lead pieces) | {b['mask_table_s']:.2f} |")
    print(f"| all of it, caches warm (a new engine process) | {b['factory_all_cached_s']:.2f} |")
    print(f"\nvocabulary index file: {b['vocab_file_kb']} KiB\n")
    for mode in ("one group", "30 groups"):
        p = report[mode]["per_token"]
        print(f"### {mode}\n")
        print("| per token, inside the answer | median ms | mean ms | 5 % trimmed mean ms | n |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for k in ("free", "strict", "processor"):
            v = p[k]
            print(f"| {k} | {v['median_ms']:.3f} | {v['mean_ms']:.3f} | "
                  f"{v['trimmed_mean_ms']:.3f} | {v['n']} |")  # fmt: skip
        for k in ("strict", "processor"):
            print(f"\n{k} / free: median {p[k]['median_ms'] / p['free']['median_ms']:.3f}×, "
                  f"mean {p[k]['mean_ms'] / p['free']['mean_ms']:.3f}×, trimmed mean "
                  f"{p[k]['trimmed_mean_ms'] / p['free']['trimmed_mean_ms']:.3f}×")  # fmt: skip
        print("\n| form | strict/free median | strict/free mean |")
        print("| --- | ---: | ---: |")
        for form, d in report[mode]["per_form"].items():
            ratio_med = d["strict"]["median_ms"] / d["free"]["median_ms"]
            ratio_mean = d["strict"]["mean_ms"] / d["free"]["mean_ms"]
            print(f"| {form} | {ratio_med:.3f}× | {ratio_mean:.3f}× |")
        print()
    cold = report["cold_first_request_mean_ms"]
    listed = ", ".join(f"{f} {v:.2f}" for f, v in cold.items())
    print(f"first request of each form in a new process (plans built on the way), mean ms "
          f"per token: {listed}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
