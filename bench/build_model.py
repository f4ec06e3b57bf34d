"""Building a model here: conversion and quantization measured on a synthetic checkpoint.

    .venv/bin/python bench/build_model.py --size-gb 1.2 [--vocab ggml-vocab-qwen2.gguf]

Writes a synthetic Qwen2 checkpoint of about ``--size-gb`` (bf16, two shards, the real
Qwen2 tokenizer; the weights are tiled random bf16 values, which is all the converter
and the quantizer care about), then measures, best of ``--rounds``:

* **conversion** (:func:`app.convert.convert_checkpoint`, in its own process so its peak
  memory can be read) against a **plain copy** of the same shard bytes on the same disk
  (``shutil.copyfile``: the kernel's own copy, then ``fsync`` as the conversion does
  before it renames its result), as a throughput ratio;
* the conversion's **peak memory** (maximum resident set) against the largest tensor;
* **quantization** to Q4_K_M through the build's stage (:func:`run_quantize`: a child
  process, progress parsed from llama.cpp's log) against a bare ``llama_model_quantize``
  call on the same input (timed around the call alone, and as a whole process);

and prints the figures and the extrapolation to QPM-1K-32B-R1 (docs/models.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.models.build.estimate import Rates, estimate_build  # noqa: E402
from app.models.build.quantize import child_env, run_quantize  # noqa: E402
from tests.support.hf_checkpoint import (  # noqa: E402
    TinyShape,
    hf_config,
    read_gguf_vocab,
    to_bf16_bits,
    tokenizer_files,
    write_safetensors,
)

# Peak memory is VmHWM of the process's own address space: ru_maxrss would also count
# the memory of the benchmark process it was forked from (Linux keeps it across exec).
HWM = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
CONVERT = f"""
import json, sys, time
from pathlib import Path
from app.convert import convert_checkpoint
t = time.perf_counter()
first = []  # the first progress report comes when the tensor bytes start
r = convert_checkpoint(Path(sys.argv[1]), Path(sys.argv[2]),
                       progress=lambda p: first or first.append(time.perf_counter()))
end = time.perf_counter()
print(json.dumps({{"seconds": end - t, "stream": end - first[0], "hwm_kb": {HWM},
                   "largest": r.largest_tensor_bytes}}))
"""
# The quantizer maps its input file: VmHWM counts those page-cache pages too, so the
# memory it really needs is its anonymous memory (RssAnon), sampled while it runs.
BARE = f"""
import ctypes, json, sys, threading, time
import llama_cpp
peak = [0]
def sample():
    while True:
        text = open('/proc/self/status').read()
        peak[0] = max(peak[0], int(text.split('RssAnon:')[1].split()[0]))
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
p = llama_cpp.llama_model_quantize_default_params()
p.ftype = int(sys.argv[3])
t = time.perf_counter()
status = llama_cpp.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(p))
seconds = time.perf_counter() - t
print(json.dumps({{"status": status, "seconds": seconds, "hwm_kb": {HWM}, "anon_kb": peak[0]}}))
"""
QPM_DOWNLOAD = 65_538_000_000  # Qwen2.5-32B's 17 safetensors shards + tokenizer/config files
QPM_WEIGHTS = 65_527_000_000
QPM_LARGEST = 152_064 * 5_120  # the embedding / output matrix, in weights


def default_vocab() -> Path:
    env = os.environ.get("SHIJIAN_TEST_QWEN2_VOCAB")
    if env:
        return Path(env)
    return ROOT / ".pytest_cache" / "d" / "shijian-qwen2-vocab" / "ggml-vocab-qwen2.gguf"


def synthetic_checkpoint(folder: Path, vocab_path: Path, size_gb: float) -> TinyShape:
    vocab = read_gguf_vocab(vocab_path)
    n_embd = 2048
    # embedding + output: 2 × 151936 × 2048 × 2 bytes ≈ 1.24 GB; layers fill the rest
    layer_bytes = (4 * n_embd * n_embd + 3 * n_embd * 5632) * 2
    base = 2 * 151936 * n_embd * 2
    n_layer = max(1, int((size_gb * 1e9 - base) / layer_bytes))
    shape = TinyShape(n_layer=n_layer, n_embd=n_embd, n_head=16, n_head_kv=2, n_ff=5632)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(hf_config(shape)), encoding="utf-8")
    tokenizer, tok_config = tokenizer_files(vocab)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(tok_config), encoding="utf-8")
    rng = np.random.default_rng(0)
    block = to_bf16_bits(rng.standard_normal(1 << 22, dtype=np.float32) * 0.05)

    def tensor(*dims: int) -> tuple[str, np.ndarray]:
        n = int(np.prod(dims))
        return "BF16", np.resize(block, n).reshape(dims)

    hd = n_embd // 16
    first = {"model.embed_tokens.weight": tensor(151936, n_embd)}
    second: dict[str, tuple[str, np.ndarray]] = {}
    for i in range(n_layer):
        p = f"model.layers.{i}."
        second |= {
            p + "input_layernorm.weight": tensor(n_embd),
            p + "self_attn.q_proj.weight": tensor(n_embd, n_embd),
            p + "self_attn.q_proj.bias": tensor(n_embd),
            p + "self_attn.k_proj.weight": tensor(2 * hd, n_embd),
            p + "self_attn.k_proj.bias": tensor(2 * hd),
            p + "self_attn.v_proj.weight": tensor(2 * hd, n_embd),
            p + "self_attn.v_proj.bias": tensor(2 * hd),
            p + "self_attn.o_proj.weight": tensor(n_embd, n_embd),
            p + "post_attention_layernorm.weight": tensor(n_embd),
            p + "mlp.gate_proj.weight": tensor(5632, n_embd),
            p + "mlp.up_proj.weight": tensor(5632, n_embd),
            p + "mlp.down_proj.weight": tensor(n_embd, 5632),
        }
    second["model.norm.weight"] = tensor(n_embd)
    second["lm_head.weight"] = tensor(151936, n_embd)
    weight_map: dict[str, str] = {}
    for index, part in enumerate((first, second)):
        name = f"model-{index + 1:05d}-of-00002.safetensors"
        write_safetensors(folder / name, part)
        weight_map |= dict.fromkeys(part, name)
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map}), encoding="utf-8"
    )
    return shape


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _python(code: str, *args: str) -> tuple[dict[str, float], float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, check=True, env=child_env(),
    )  # fmt: skip
    wall = time.perf_counter() - started
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.2)
    parser.add_argument("--vocab", type=Path, default=default_vocab())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-quantize", action="store_true")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="shijian-build-bench-"))
    try:
        src = work / "checkpoint"
        shape = synthetic_checkpoint(src, args.vocab, args.size_gb)
        shards = sorted(src.glob("*.safetensors"))
        weights = sum(p.stat().st_size for p in shards)
        print(f"checkpoint: {weights / 1e9:.2f} GB in {len(shards)} shards, {shape.n_layer} layers")
        copies, converts, streams = [], [], []
        peak_kb = largest = 0
        for _ in range(args.rounds):
            t = time.perf_counter()
            for shard in shards:
                target = work / ("copy-" + shard.name)
                shutil.copyfile(shard, target)
                with target.open("rb+") as fh:
                    os.fsync(fh.fileno())
            copies.append(time.perf_counter() - t)
            for shard in shards:
                (work / ("copy-" + shard.name)).unlink()
            out = work / "model-bf16.gguf"
            result, _wall = _python(CONVERT, str(src), str(out))
            converts.append(result["seconds"])
            streams.append(result["stream"])
            peak_kb = max(peak_kb, int(result["hwm_kb"]))
            largest = int(result["largest"])
        copy_s, convert_s, stream_s = min(copies), min(converts), min(streams)
        print(f"plain copy:  {copy_s:.2f} s  ({weights / copy_s / 1e6:.0f} MB/s)")
        print(f"conversion:  {convert_s:.2f} s  ({weights / convert_s / 1e6:.0f} MB/s)"
              f"  ratio {copy_s / convert_s:.2f} of the copy's throughput")  # fmt: skip
        fixed = convert_s - stream_s  # checks, tokenizer, metadata: the same for any size
        scale = 65.5e9 / weights  # QPM-1K-32B-R1's shards
        at_scale = (scale * copy_s) / (scale * stream_s + fixed)
        print(f"  of which streaming the tensors {stream_s:.2f} s (ratio {copy_s / stream_s:.2f}),"
              f" fixed {fixed:.2f} s; at 65.5 GB: ratio {at_scale:.2f}")  # fmt: skip
        print(f"peak memory of the conversion: {peak_kb / 1024:.0f} MiB; largest tensor "
              f"{largest / 2**20:.0f} MiB ({peak_kb * 1024 / largest:.2f}×)")  # fmt: skip
        rates = Rates(convert_bps=weights / convert_s)
        if not args.skip_quantize:
            from app.models.build.estimate import quant_ftype

            src_gguf = work / "model-bf16.gguf"
            ours, bare_call, bare_wall, ours_cpu, bare_cpu = [], [], [], [], []
            bare_kb = anon_kb = 0
            for _ in range(args.rounds):  # interleaved, so a busy moment hurts both
                before = _children_cpu()
                t = time.perf_counter()
                run_quantize(src_gguf, work / "ours-q4.gguf", "Q4_K_M")
                ours.append(time.perf_counter() - t)
                ours_cpu.append(_children_cpu() - before)
                (work / "ours-q4.gguf").unlink()
                before = _children_cpu()
                result, wall = _python(
                    BARE, str(src_gguf), str(work / "bare-q4.gguf"), str(quant_ftype("Q4_K_M"))
                )
                bare_cpu.append(_children_cpu() - before)
                bare_call.append(result["seconds"])
                bare_wall.append(wall)
                bare_kb = max(bare_kb, int(result["hwm_kb"]))
                anon_kb = max(anon_kb, int(result["anon_kb"]))
                (work / "bare-q4.gguf").unlink()
            o, c, w = min(ours), min(bare_call), min(bare_wall)
            print(f"quantize CPU time (user+sys): build stage {min(ours_cpu):.1f} s, bare process "
                  f"{min(bare_cpu):.1f} s (ratio {min(ours_cpu) / min(bare_cpu):.3f})")  # fmt: skip
            params = weights / 2
            cores = len(os.sched_getaffinity(0))
            print(f"quantize Q4_K_M, build stage: {o:.2f} s; bare call {c:.2f} s "
                  f"(ratio {o / c:.3f}); bare process {w:.2f} s (ratio {o / w:.3f})")  # fmt: skip
            # weights per CPU-second of the bare quantizer: the machine's per-core rate even
            # when other programs share its cores (wall time then depends on them)
            per_core = params / min(bare_cpu)
            print(f"quantizer peak memory: {anon_kb / 1024:.0f} MiB anonymous (largest tensor "
                  f"{largest / 2**20:.0f} MiB as bf16), {bare_kb / 1024:.0f} MiB with the mapped "
                  "input file's pages")  # fmt: skip
            print("quantizer speed: "
                  f"{per_core / 1e6:.1f} M weights per CPU-second, {cores} cores")  # fmt: skip
            rates = Rates(
                convert_bps=weights / convert_s,
                quant_params_per_core_s=per_core,
            )
        for quant in ("Q4_K_M", "Q8_0"):
            est = estimate_build(
                download_bytes=QPM_DOWNLOAD,
                weight_bytes=QPM_WEIGHTS,
                quant=quant,
                largest_tensor=QPM_LARGEST,
                cores=8,
                rates=rates,
            )
            stages = ", ".join(f"{k} {v / 60:.0f} min" for k, v in est.seconds.items())
            disk, ram = est.peak_disk_bytes / 1e9, est.ram_bytes / 1e9
            print(f"QPM-1K-32B-R1 {quant} (8 cores): peak disk {disk:.1f} GB, RAM {ram:.1f} GB, "
                  f"{est.total_seconds / 3600:.1f} h ({stages})")  # fmt: skip
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
