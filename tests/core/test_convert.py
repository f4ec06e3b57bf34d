"""The safetensors → GGUF converter on tiny checkpoints, checked by the real llama.cpp.

Numerical truth: the f32 conversion, run by llama.cpp (f32 KV cache, no flash
attention), gives the logits of a float64 numpy forward pass of the Hugging Face model
(tests/support/reference_forward.py) to within 1e-4 of the logits' own scale. Why
that tolerance: llama.cpp computes in float32, whose rounding (2⁻²⁴ ≈ 6e-8 relative)
accumulates over the 64–128-long dot products, the softmax and two layers to a few
1e-6 relative; a wrong tensor, type, permutation or rotary layout moves logits by
tenths of their scale. Measured: about 6e-7.
"""

from __future__ import annotations

import json
import random
import struct
import threading
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from app.convert import (
    CheckpointError,
    ConvertCancelled,
    ConvertError,
    UnsupportedArchitectureError,
    convert_checkpoint,
    plan_conversion,
)
from app.convert.bpe import ReferenceTokenizer
from app.convert.writer import part_path
from app.models.gguf.header import read_gguf
from tests.support.engine_fixtures import needs_llama, qwen2_vocab_fixture  # noqa: F401
from tests.support.hf_checkpoint import (
    GGUFVocab,
    TinyCheckpoint,
    from_bf16_bits,
    read_gguf_vocab,
    write_qwen2_checkpoint,
)
from tests.support.reference_forward import reference_logits

pytestmark = needs_llama

TOLERANCE = 1e-4  # of max |logit|; see the module notes


@pytest.fixture(scope="module")
def vocab(qwen2_vocab: Path) -> GGUFVocab:
    return read_gguf_vocab(qwen2_vocab)


@pytest.fixture(scope="module")
def checkpoint(
    qwen2_vocab: Path, vocab: GGUFVocab, tmp_path_factory: pytest.TempPathFactory
) -> TinyCheckpoint:
    """bf16, two shards and an index, merges as strings, template in tokenizer_config."""
    return write_qwen2_checkpoint(tmp_path_factory.mktemp("hf") / "qwen2", qwen2_vocab, vocab=vocab)


@pytest.fixture(scope="module")
def bf16_gguf(checkpoint: TinyCheckpoint, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gguf") / "tiny-bf16.gguf"
    convert_checkpoint(checkpoint.folder, out)
    return out


def _llama(path: Path, **kwargs: object) -> object:
    import llama_cpp

    return llama_cpp.Llama(str(path), verbose=False, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- structure and metadata


def test_bf16_checkpoint_converts_at_its_own_precision(
    checkpoint: TinyCheckpoint, bf16_gguf: Path
) -> None:
    info = read_gguf(bf16_gguf)
    shape = checkpoint.shape
    assert info.architecture == "qwen2"
    assert info.block_count == shape.n_layer and info.embedding_length == shape.n_embd
    assert info.head_count == shape.n_head and info.head_count_kv == shape.n_head_kv
    assert info.feed_forward_length == shape.n_ff and info.context_length == shape.n_ctx
    assert info.metadata["qwen2.rope.freq_base"] == pytest.approx(shape.rope_theta)
    assert info.metadata["qwen2.attention.layer_norm_rms_epsilon"] == pytest.approx(shape.rms_eps)
    assert info.metadata["general.file_type"] == 32  # MOSTLY_BF16
    assert info.metadata["tokenizer.ggml.pre"] == "qwen2"
    assert info.metadata["tokenizer.ggml.eos_token_id"] == 151645  # <|im_end|>, tokenizer_config
    assert info.metadata["tokenizer.ggml.bos_token_id"] == 151643  # config.json (no bos_token)
    assert info.metadata["tokenizer.ggml.padding_token_id"] == 151643
    assert "<|im_start|>" in str(info.metadata["tokenizer.chat_template"])
    types = {t.name: t.type_name for t in info.tensors}
    assert types["token_embd.weight"] == "BF16" and types["output.weight"] == "BF16"
    assert types["blk.0.attn_q.weight"] == "BF16"
    assert types["blk.0.attn_q.bias"] == "F32" and types["output_norm.weight"] == "F32"
    # 12 tensors per layer (qwen2: q/k/v biases) + embedding, output norm, untied output
    assert len(info.tensors) == 12 * shape.n_layer + 3
    # the bytes of a bf16 weight are the checkpoint's own
    tensor = next(t for t in info.tensors if t.name == "blk.1.ffn_down.weight")
    end = max(t.offset + t.nbytes for t in info.tensors)
    data_start = info.file_size - (-(-end // info.alignment) * info.alignment)
    with bf16_gguf.open("rb") as fh:
        fh.seek(data_start + tensor.offset)
        bits = np.frombuffer(fh.read(tensor.nbytes), dtype="<u2")
    expected = checkpoint.weights["model.layers.1.mlp.down_proj.weight"]
    assert np.array_equal(from_bf16_bits(bits).reshape(expected.shape), expected)


def test_metadata_of_the_vocabulary(bf16_gguf: Path, vocab: GGUFVocab) -> None:
    built = read_gguf_vocab(bf16_gguf)
    assert built.tokens[:151646] == vocab.tokens[:151646]
    assert built.merges == vocab.merges
    assert built.types[:151646] == vocab.types[:151646]
    # rows the tokenizer does not use: placeholders llama.cpp never produces
    assert built.tokens[151646] == "[PAD151646]" and built.types[151646] == 5
    assert len(built.tokens) == 151936


@pytest.mark.parametrize(
    "variant",
    [
        {"merges_as_pairs": True},
        {"template_file": True},
        {"shards": 1},
    ],
    ids=["merges-as-pairs", "chat_template.jinja", "single-file"],
)
def test_variants_give_the_same_file(
    variant: dict[str, object],
    checkpoint: TinyCheckpoint,
    bf16_gguf: Path,
    qwen2_vocab: Path,
    vocab: GGUFVocab,
    tmp_path: Path,
) -> None:
    """Merges as ["a", "b"] pairs, the template in chat_template.jinja, one file instead
    of shards: the same model, so the same GGUF, byte for byte."""
    other = write_qwen2_checkpoint(tmp_path / "hf", qwen2_vocab, vocab=vocab, **variant)  # type: ignore[arg-type]
    out = tmp_path / "other.gguf"
    convert_checkpoint(other.folder, out, name=checkpoint.folder.name)
    assert out.read_bytes() == bf16_gguf.read_bytes()


# ---------------------------------------------------------------- numerical truth


@pytest.mark.parametrize("arch", ["qwen2", "qwen3", "llama"])
def test_f32_logits_equal_the_reference_forward_pass(
    arch: str, qwen2_vocab: Path, vocab: GGUFVocab, tmp_path: Path
) -> None:
    import llama_cpp

    ckpt = write_qwen2_checkpoint(tmp_path / "hf", qwen2_vocab, vocab=vocab, arch=arch, seed=3)
    out = tmp_path / "f32.gguf"
    result = convert_checkpoint(ckpt.folder, out, outtype="f32")
    assert result.architecture == arch and result.weight_type == "F32"
    llm = _llama(
        out,
        n_ctx=64,
        logits_all=True,
        type_k=llama_cpp.GGML_TYPE_F32,
        type_v=llama_cpp.GGML_TYPE_F32,
        flash_attn=False,
        n_threads=2,
    )
    tokens = llm.tokenize("床前明月光，疑是地上霜。Moonlight 123".encode(), add_bos=False)  # type: ignore[attr-defined]
    llm.eval(tokens)  # type: ignore[attr-defined]
    got = np.array(llm.scores[: len(tokens)], dtype=np.float64)  # type: ignore[attr-defined]
    want = reference_logits(ckpt.weights, ckpt.shape, tokens)
    scale = float(np.abs(want).max())
    assert scale > 1.0  # the model says something: a real comparison
    assert float(np.abs(got - want).max()) <= TOLERANCE * scale
    assert (got.argmax(axis=-1) == want.argmax(axis=-1)).all()


# ---------------------------------------------------------------- tokenization


def _varied_texts(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    pools = [
        "床前明月光疑是地上霜举头望明月低头思故乡春眠不觉晓处处闻啼鸟",
        "國風雅頌詩詞曲賦聲韻對仗黃鶴樓煙花三月下揚州",
        "，。！？；：、“”‘’（）《》【】—…·",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789",
        " \t\n\r  \n\n",
        "'s 're 've 'll 'd 'M 'T",
        "😀🚀🦙✅éüñßø",
        "#$%&*+-/=@^_`|~<>[]{}",
        "平仄平平仄，平平仄仄平",
    ]
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 30)):
            if rng.random() < 0.05:
                parts.append(rng.choice(specials))
            else:
                pool = rng.choice(pools)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        texts.append("".join(parts))
    return texts


def test_built_gguf_tokenizes_like_the_vocabulary_file(
    bf16_gguf: Path, qwen2_vocab: Path, checkpoint: TinyCheckpoint
) -> None:
    """3,000 varied texts (simplified, traditional, punctuation, Latin, digits, spaces,
    emoji, special tokens): the built GGUF, the vocabulary file it came from and the
    reference tokenizer (tokenizer.json read in plain Python) all agree."""
    built = _llama(bf16_gguf, vocab_only=True)
    original = _llama(qwen2_vocab, vocab_only=True)
    reference = ReferenceTokenizer.from_folder(checkpoint.folder)
    texts = _varied_texts(3000)
    nfc_checked = 0
    for text in texts:
        data = text.encode("utf-8")
        want = original.tokenize(data, add_bos=False, special=True)  # type: ignore[attr-defined]
        assert built.tokenize(data, add_bos=False, special=True) == want, text  # type: ignore[attr-defined]
        if unicodedata.normalize("NFC", text) == text:  # tokenizer.json normalizes to NFC
            assert reference.encode(text) == want, text
            nfc_checked += 1
    assert nfc_checked > 2500


# ---------------------------------------------------------------- refusals


def test_unsupported_architecture_is_refused_up_front(
    checkpoint: TinyCheckpoint, tmp_path: Path
) -> None:
    folder = tmp_path / "moe"
    folder.mkdir()
    for file in checkpoint.folder.iterdir():
        (folder / file.name).symlink_to(file)
    (folder / "config.json").unlink()
    config = json.loads((checkpoint.folder / "config.json").read_text())
    config["architectures"] = ["MixtralForCausalLM"]
    (folder / "config.json").write_text(json.dumps(config))
    out = tmp_path / "out.gguf"
    with pytest.raises(UnsupportedArchitectureError) as err:
        convert_checkpoint(folder, out)
    assert "MixtralForCausalLM" in err.value.en and "MixtralForCausalLM" in err.value.zh
    assert "Qwen2ForCausalLM" in err.value.en  # says what is supported
    assert not out.exists() and not part_path(out).exists()


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for file in src.iterdir():
        (dst / file.name).write_bytes(file.read_bytes())
    return dst


def test_truncated_shard_is_refused_before_writing(
    checkpoint: TinyCheckpoint, tmp_path: Path
) -> None:
    folder = _copy(checkpoint.folder, tmp_path / "cut")
    shard = folder / checkpoint.files[1]
    with shard.open("r+b") as fh:
        fh.truncate(shard.stat().st_size - 1000)
    out = tmp_path / "out.gguf"
    with pytest.raises(CheckpointError) as err:
        convert_checkpoint(folder, out)
    assert checkpoint.files[1] in err.value.en and "truncated" in err.value.en
    assert not out.exists() and not part_path(out).exists()


def test_damaged_header_is_refused(checkpoint: TinyCheckpoint, tmp_path: Path) -> None:
    folder = _copy(checkpoint.folder, tmp_path / "bad")
    shard = folder / checkpoint.files[0]
    data = bytearray(shard.read_bytes())
    (n,) = struct.unpack_from("<Q", data)
    data[8 : 8 + n] = b"{" + b" " * (n - 1)
    shard.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="JSON"):
        plan_conversion(folder)


def test_unknown_and_missing_tensors_are_refused(
    qwen2_vocab: Path, vocab: GGUFVocab, tmp_path: Path
) -> None:
    ckpt = write_qwen2_checkpoint(tmp_path / "hf", qwen2_vocab, vocab=vocab, shards=1)
    weight_map: dict[str, str] = {}
    index = {"metadata": {}, "weight_map": weight_map}
    # a checkpoint that says it has a vision tower
    from tests.support.hf_checkpoint import write_safetensors

    tensors = {"visual.patch_embed.weight": ("F32", np.zeros((4, 4), dtype=np.float32))}
    (ckpt.folder / "model.safetensors").rename(ckpt.folder / "model-00001-of-00002.safetensors")
    write_safetensors(ckpt.folder / "model-00002-of-00002.safetensors", tensors)
    from app.convert.safetensors import read_header

    for name in ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
        found, _ = read_header(ckpt.folder / name)
        weight_map |= dict.fromkeys(found, name)
    (ckpt.folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ConvertError, match=r"visual\.patch_embed\.weight"):
        plan_conversion(ckpt.folder)
    # the same folder with a layer too few in config.json
    (ckpt.folder / "model-00002-of-00002.safetensors").unlink()
    del weight_map["visual.patch_embed.weight"]
    (ckpt.folder / "model.safetensors.index.json").write_text(json.dumps(index))
    config = json.loads((ckpt.folder / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (ckpt.folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=r"blk\.2\."):
        plan_conversion(ckpt.folder)


def test_index_pointing_at_a_missing_shard(checkpoint: TinyCheckpoint, tmp_path: Path) -> None:
    folder = _copy(checkpoint.folder, tmp_path / "gone")
    (folder / checkpoint.files[1]).unlink()
    with pytest.raises(CheckpointError, match="missing"):
        plan_conversion(folder)


# ---------------------------------------------------------------- stopping


def test_cancel_removes_the_unfinished_file(checkpoint: TinyCheckpoint, tmp_path: Path) -> None:
    out = tmp_path / "out.gguf"
    cancel = threading.Event()
    seen: list[float] = []

    def progress(p: object) -> None:
        seen.append(p.fraction)  # type: ignore[attr-defined]
        cancel.set()  # as a pause button pressed while the first tensor is written

    with pytest.raises(ConvertCancelled):
        convert_checkpoint(
            checkpoint.folder, out, progress=progress, cancel=cancel, chunk_bytes=1 << 16
        )
    assert not out.exists() and not part_path(out).exists()
    assert seen and max(seen) < 1.0


def test_a_leftover_part_is_replaced(
    checkpoint: TinyCheckpoint, bf16_gguf: Path, tmp_path: Path
) -> None:
    """What a killed conversion leaves (a .part) does not disturb the next run."""
    out = tmp_path / "out.gguf"
    part_path(out).write_bytes(b"GGUF" + b"\xff" * 5000)
    convert_checkpoint(checkpoint.folder, out, name=checkpoint.folder.name)
    assert not part_path(out).exists()
    assert out.read_bytes() == bf16_gguf.read_bytes()
