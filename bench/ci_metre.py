"""Strict metre for 词: how many answers keep the 体 with the switch on and off, and what
the constraint costs per token.

**Quality.** Requests through the real engine process (``EngineClient`` → the worker →
``app.compose.constraint``) with the prompt the compose panel builds for a 词
(``build_ci_prompt``: the tune, the 体 as a template, the rhyme groups), spread over every
体 of the 词谱 and the rhyme books given; the same requests and seeds with the constraint
and without. Each answer is punctuated as the 体 (``format_answer``) and checked by the
词 checker pinned to that 体 in the request's book, and scored by app/prosody/scorer.py.

**Cost.** In-process, the same prompt ending in ``<answer>\\n``, interleaved run by run:
``Llama.generate`` free vs the engine's constrained loop for the 体, timing only the
tokens sampled inside the answer (free runs take as many tokens as the strict one had).

    python bench/ci_metre.py [--model PATH] [--cipu DIR] [--requests 48] [--runs 20]

The 词谱: ``--cipu`` (a table folder), else the installed one, else the small table the
tests write (tests/support/cipu_fixture.py, eleven 体 of eight tunes). Without
``--model`` it writes the tiny random-weight qwen2 model the tests use, whose output is
noise: what the switch guarantees shows, what a real model adds does not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from constraint_quality import run as run_request  # noqa: E402  (a sibling bench script)
from constraint_speed import SAMPLING, raw_prompt  # noqa: E402

from app.compose.ci.prompt import CiRequest, build_ci_prompt  # noqa: E402
from app.compose.ci.text import format_answer  # noqa: E402
from app.compose.constraint import ConstraintFactory, Phase  # noqa: E402
from app.compose.constraint.ci import ci_spec  # noqa: E402
from app.compose.constraint.loop import constrained_tokens  # noqa: E402
from app.compose.stream import parse_text  # noqa: E402
from app.engine.client import EngineClient  # noqa: E402
from app.engine.requests import LoadConfig, Sampling  # noqa: E402
from app.prosody.books.shelf import Shelf  # noqa: E402
from app.prosody.ci import CiChecker, CiForm, CipuError, CipuTable, load_installed  # noqa: E402
from app.prosody.ci.books import CiBookKind, ci_book  # noqa: E402
from app.prosody.duizhang import Lexicon  # noqa: E402
from app.prosody.findings import Severity  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.rhymebook.cilin import CilinBook  # noqa: E402
from app.prosody.scorer import score  # noqa: E402

SCORES = ("tones", "rhymes", "length", "total")
THEMES = ("春愁", "秋思", "怀古", "送别", "夜雨", "登楼", "咏梅", "江行")
PROMPT = raw_prompt("填一首词")


def _table(folder: Path | None, tmp: Path) -> CipuTable:
    if folder is not None:
        return CipuTable.load(folder)
    try:
        return load_installed()
    except CipuError:
        from tests.support.cipu_fixture import fixture_table

        return fixture_table(tmp / "cipu")


def _model(path: Path | None, tmp: Path) -> Path:
    if path is not None:
        return path
    from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model

    vocab = fetch_qwen2_vocab(ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab")
    return write_qwen2_model(tmp / "tiny-qwen2.gguf", vocab)


def quality(
    args: argparse.Namespace, model: Path, forms: list[CiForm], table: CipuTable, tmp: Path
) -> dict[str, Any]:
    shelf = Shelf(RhymeBook.load())
    cilin = CilinBook.load()
    books = [CiBookKind(b) for b in args.books]
    checkers = {k: CiChecker.of(ci_book(k, shelf, cilin), table) for k in books}
    lexicon = Lexicon(shelf.pingshui)
    client = EngineClient()
    client.start()
    client.load(LoadConfig(model_path=str(model), n_ctx=4096))
    out: dict[str, Any] = {}
    try:
        for strict in (True, False):
            rows: list[dict[str, Any]] = []
            for i in range(args.requests):
                form = forms[i % len(forms)]
                kind = books[(i // len(forms)) % len(books)]
                request = CiRequest(THEMES[i % len(THEMES)], form, book=kind, think_budget=0)
                rhymes = checkers[kind].rhymes
                plan = build_ci_prompt(request, rhymes, sampling=Sampling(max_tokens=1200))
                generate = plan.generate_requests(base_seed=100 + i)[0]
                if strict:
                    spec = ci_spec(form, book=kind, think_budget=args.think, cache_dir=str(tmp))
                    generate = replace(generate, constraint=spec)
                else:
                    generate = replace(generate, think_budget=args.think)
                text, error, seconds, n = run_request(client, generate)
                parsed = parse_text(text)
                poem = format_answer(parsed.lines, form) if parsed.lines else ""
                analysis = checkers[kind].analyze(poem or "无", form=form)
                s = score(analysis, lexicon)
                clean = bool(poem) and not any(
                    f.severity >= Severity.WARNING for f in analysis.findings
                )
                rows.append(
                    {"form": form.key, "book": kind.value, "clean": clean, "error": error,
                     "seconds": seconds, "tokens": n, **s.as_dict(), "poem": poem}
                )  # fmt: skip
            key = "strict" if strict else "free"
            out[key] = {
                "requests": len(rows),
                "clean": sum(r["clean"] for r in rows),
                "errors": sorted({r["error"] for r in rows if r["error"]}),
                "median_s": statistics.median(r["seconds"] for r in rows),
                **{k: statistics.fmean(r[k] for r in rows) for k in SCORES},
                "rows": rows,
            }
    finally:
        client.stop()
    return out


def cost(args: argparse.Namespace, model: Path, forms: list[CiForm], tmp: Path) -> dict[str, Any]:
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(model), n_ctx=2048, verbose=False)
    factory = ConstraintFactory(llama, cache_dir=tmp / "constraint")
    prompt = llama.tokenize(PROMPT.encode(), add_bos=False, special=True)
    free_ms: list[float] = []
    strict_ms: list[float] = []
    first_ms: list[float] = []
    for run in range(args.runs):
        for form in forms:
            c = factory.build(ci_spec(form, think_budget=0), max_tokens=1500)
            times: list[float] = []
            before = c.phase
            t = time.perf_counter()
            for _tok in constrained_tokens(llama, prompt, c, **SAMPLING):
                now = time.perf_counter()
                if before is Phase.POEM:
                    times.append(now - t)
                before = c.phase
                t = now
                if c.phase is Phase.DONE:
                    break
            (first_ms if run == 0 else strict_ms).extend(1000 * x for x in times)
            n = len(times)
            t = time.perf_counter()
            gen = llama.generate(prompt, reset=True, temp=0.6, top_k=20, top_p=0.95)
            for k, _tok in enumerate(gen, 1):
                now = time.perf_counter()
                if run:
                    free_ms.append(1000 * (now - t))
                t = now
                if k >= n:
                    break
    llama.close()
    fm, sm = statistics.median(free_ms), statistics.median(strict_ms)
    return {
        "tokens": len(strict_ms),
        "free_median_ms": fm,
        "strict_median_ms": sm,
        "ratio_median": sm / fm,
        "free_mean_ms": statistics.fmean(free_ms),
        "strict_mean_ms": statistics.fmean(strict_ms),
        "first_run_mean_ms": statistics.fmean(first_ms),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="a GGUF model (default: the tiny test model)")
    ap.add_argument("--cipu", type=Path, help="a 词谱 table folder")
    ap.add_argument("--requests", type=int, default=48)
    ap.add_argument("--runs", type=int, default=20, help="strict/free pairs per 体 (cost)")
    ap.add_argument("--think", type=int, default=32, help="think budget (tokens)")
    ap.add_argument("--books", nargs="+", default=["cilin", "pingshui"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        table = _table(args.cipu, tmp)
        forms = [f for tune in table for f in tune.forms]
        model = _model(args.model, tmp)
        result: dict[str, Any] = {
            "forms": len(forms),
            "quality": quality(args, model, forms, table, tmp),
        }
        result["cost"] = cost(args, model, forms, tmp)
    for key in ("strict", "free"):
        q = result["quality"][key]
        print(
            f"{key:6} clean {q['clean']}/{q['requests']}  平仄 {q['tones']:.1f}  押韵 "
            f"{q['rhymes']:.1f}  字数 {q['length']:.1f}  总分 {q['total']:.1f}  "
            f"median {q['median_s']:.2f} s  errors {q['errors']}"
        )
    c = result["cost"]
    print(
        f"per answer token: free {c['free_median_ms']:.2f} ms, strict {c['strict_median_ms']:.2f}"
        f" ms (×{c['ratio_median']:.3f} median; means {c['free_mean_ms']:.2f} / "
        f"{c['strict_mean_ms']:.2f}); first run {c['first_run_mean_ms']:.2f} ms"
        f" over {c['tokens']} tokens"
    )
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
