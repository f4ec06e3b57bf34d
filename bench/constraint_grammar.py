"""Strict metre as a grammar for remote servers: sizes, build times, and what llama.cpp's
own grammar sampler costs per token on the tiny model (our GBNF, full character classes
and cut to the most used characters).

    python bench/constraint_grammar.py [--model PATH] [--tokens 40]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.compose.constraint.chars import CharPolicy, CharTable, book_universe  # noqa: E402
from app.compose.constraint.grammar import metre_gbnf, metre_grammar_plan, metre_regex  # noqa: E402
from app.compose.constraint.spec import ConstraintSpec  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402

FORMS = ("五绝", "七绝", "五律", "七律")
PROMPT = "<|im_start|>user\n写一首诗<|im_end|>\n<|im_start|>assistant\n"


def per_token(llama: Any, grammar: str | None, n: int, seed: int) -> float:
    """Mean seconds per generated token (the first, prompt processing, left out)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    tokens = llama.tokenize(PROMPT.encode(), add_bos=False, special=True)
    llama.set_seed(seed)
    kwargs: dict[str, Any] = {"top_k": 20, "top_p": 0.95, "min_p": 0.0, "temp": 0.6}
    if grammar is not None:
        kwargs["grammar"] = LlamaGrammar.from_string(grammar, verbose=False)
    stamps: list[float] = []
    gen = llama.generate(tokens, **kwargs)
    for _tok in gen:
        stamps.append(time.perf_counter())
        if len(stamps) > n:
            break
    gen.close()
    return (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="a GGUF model (default: the tiny test model)")
    ap.add_argument("--tokens", type=int, default=30)
    args = ap.parse_args()
    book = RhymeBook.load()
    t0 = time.perf_counter()
    table = CharTable.build(book, book_universe(book), CharPolicy())
    print(f"character table from the book's group lists: {time.perf_counter() - t0:.2f} s, "
          f"{len(table)} characters\n")  # fmt: skip
    print("| form | states | GBNF chars | GBNF build s | regex chars (300/class) | regex build s "
          "| regex compile s (Python re) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for form in FORMS:
        spec = ConstraintSpec.from_dict({"form": form, "group": 3})
        plan = metre_grammar_plan(spec, table)
        t0 = time.perf_counter()
        gbnf = metre_gbnf(spec, table)
        t1 = time.perf_counter()
        regex = metre_regex(spec, table)
        t2 = time.perf_counter()
        re.compile(regex)
        t3 = time.perf_counter()
        print(f"| {form} | {len(plan.edges)} | {len(gbnf):,} | {t1 - t0:.2f} | {len(regex):,} | "
              f"{t2 - t1:.2f} | {t3 - t2:.2f} |")  # fmt: skip
    import llama_cpp

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model

            cache = ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab"
            model = write_qwen2_model(Path(tmp) / "tiny.gguf", fetch_qwen2_vocab(cache))
        llama = llama_cpp.Llama(str(model), n_ctx=1024, verbose=False)
        spec = ConstraintSpec.from_dict({"form": "七绝", "group": 3})
        free = per_token(llama, None, args.tokens, 1)
        print(f"\nper token on {model.name}, {args.tokens} tokens, 七绝 answer grammar:\n")
        print("| grammar | ms per token | × free |\n| --- | ---: | ---: |")
        print(f"| none | {free * 1000:.1f} | 1.00 |")
        for cut in (None, 600, 150):
            text = metre_gbnf(spec, table, think=False, max_chars=cut)
            t = per_token(llama, text, args.tokens, 1)
            label = "every character" if cut is None else f"{cut} most used per tone class"
            print(f"| {label} ({len(text):,} chars) | {t * 1000:.1f} | {t / free:.1f} |")
        llama.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
