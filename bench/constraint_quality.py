"""Strict metre on vs off: 100 requests across the four forms and 25 rhyme groups,
scored by the project's own scorer (app/prosody/scorer.py) with the requested form and
group pinned.

Every request goes through the real engine process (``EngineClient`` → the worker →
``app.compose.constraint``), with the prompt the compose panel builds (reasoning
style: rhyme-group retrieval and the published instruction template). The same
requests, same seeds, run twice: with the strict-metre constraint and without. The
answer is what the stream parser extracts from ``<answer>`` (an empty poem scores 0).

    python bench/constraint_quality.py [--model PATH] [--requests 100] [--json out.json]

Without ``--model`` it writes the tiny random-weight qwen2 model the tests use (real
Qwen2 tokenizer; vocabulary via $SHIJIAN_TEST_QWEN2_VOCAB or downloaded once), whose
output is noise: what the switch guarantees shows, what a real model adds does not.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.compose.constraint.spec import metre_spec  # noqa: E402
from app.compose.prompt import COMPOSE_FORMS, ComposeRequest, build_prompt  # noqa: E402
from app.compose.stream import extract_poem_lines, parse_text  # noqa: E402
from app.engine.client import EngineClient  # noqa: E402
from app.engine.events import Done, EngineError, Token  # noqa: E402
from app.engine.requests import GenerateRequest, LoadConfig, Sampling  # noqa: E402
from app.prosody.checker import Checker  # noqa: E402
from app.prosody.findings import Severity  # noqa: E402
from app.prosody.groups import PING_GROUPS  # noqa: E402
from app.prosody.rhymebook import RhymeBook  # noqa: E402
from app.prosody.scorer import PoemScore, aggregate_by, score  # noqa: E402

THEMES = ("秋夜", "春江", "登高", "送别", "边塞", "山居", "咏梅", "怀古", "夜雨", "江村")


def run(client: EngineClient, request: GenerateRequest) -> tuple[str, str, float, int]:
    """(text, error code, seconds, tokens) of one request."""
    t0 = time.perf_counter()
    text: list[str] = []
    error = ""
    n = 0
    for event in client.generate(request):
        if isinstance(event, Token):
            text.append(event.text)
        elif isinstance(event, EngineError):
            error = event.code
        elif isinstance(event, Done):
            n = event.stats.completion_tokens
    return "".join(text), error, time.perf_counter() - t0, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="a GGUF model (default: the tiny test model)")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--groups", type=int, default=25, help="how many 平声 groups to spread over")
    ap.add_argument("--think", type=int, default=64, help="think budget (tokens)")
    ap.add_argument("--max-tokens", type=int, default=400)
    ap.add_argument("--json", type=Path, help="write every poem and score here")
    args = ap.parse_args()

    book = RhymeBook.load()
    checker = Checker(book)
    groups = PING_GROUPS[: args.groups]
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tests.support.tiny_model import fetch_qwen2_vocab, write_qwen2_model

            cache = ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab"
            model = write_qwen2_model(Path(tmp) / "tiny.gguf", fetch_qwen2_vocab(cache))
        client = EngineClient()
        client.start()
        client.load(LoadConfig(str(model), n_ctx=4096))
        rows: list[dict[str, Any]] = []
        pairs: dict[str, list[tuple[str, PoemScore]]] = {"on": [], "off": [], "off-raw": []}
        try:
            for i in range(args.requests):
                form = COMPOSE_FORMS[i % 4]
                group = groups[i % len(groups)]
                ask = ComposeRequest(THEMES[i % len(THEMES)], form, rhyme_group=group.id)
                plan = build_prompt(ask, book, sampling=Sampling(max_tokens=args.max_tokens))
                base = plan.generate_requests(base_seed=100 + i)[0]
                spec = metre_spec(form, group.id, think_budget=args.think, cache_dir=tmp)
                for switch in ("off", "on"):
                    req = GenerateRequest(
                        base.messages,
                        base.prompt,
                        base.sampling,
                        base.stop,
                        spec if switch == "on" else None,
                    )
                    text, error, seconds, n = run(client, req)
                    result = parse_text(text)
                    analysis = checker.analyze(result.poem, form=form, group=group, per_char=False)
                    s = score(analysis, checker.lexicon)
                    errors = sum(1 for f in analysis.findings if f.severity is Severity.ERROR)
                    pairs[switch].append((form.value, s))
                    if switch == "off":  # the whole output read as a poem, tags or not
                        raw = "\n".join(extract_poem_lines(text))
                        whole = checker.analyze(raw, form=form, group=group, per_char=False)
                        pairs["off-raw"].append((form.value, score(whole, checker.lexicon)))
                    rows.append(
                        {
                            "i": i, "switch": switch, "form": form.value, "group": group.name,
                            "poem": result.poem, "error": error, "errors": errors,
                            "scores": s.as_dict(), "seconds": round(seconds, 3), "tokens": n,
                        }
                    )  # fmt: skip
        finally:
            client.stop()
    print(f"{args.requests} requests, {len(groups)} rhyme groups, tiny model: {model.name}\n")
    order = ["五绝", "七绝", "五律", "七律", "全部"]
    for switch in ("on", "off", "off-raw"):
        table = aggregate_by(pairs[switch])
        if switch == "off-raw":
            print("strict metre off, the whole output (thinking included) read as the poem:\n")
        else:
            done = [r for r in rows if r["switch"] == switch]
            clean = sum(1 for r in done if r["errors"] == 0 and r["poem"])
            failed = sum(1 for r in done if r["error"])
            secs = sum(r["seconds"] for r in done) / max(1, len(done))
            print(f"strict metre {switch}: {clean}/{len(done)} answers with no checker error, "
                  f"{failed} engine errors, {secs:.2f} s per request\n")  # fmt: skip
        print("| 诗体 | 首数 | 平仄 | 押韵 | 对仗 | 字数 | 加权 | 总分 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key in order:
            a = table.get(key)
            if a is None:
                continue
            rhymes = "—" if a.rhymes is None else f"{a.rhymes:.1f}"
            print(f"| {key} | {a.n} | {a.tones:.1f} | {rhymes} | {a.antithesis:.1f} | "
                  f"{a.length:.1f} | {a.weighted:.1f} | {a.total:.1f} |")  # fmt: skip
        print()
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
