"""The standard-library GGUF header reader, checked against files written by ``gguf``,
and the memory estimates built on it."""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.catalog import ArchInfo
from app.models.errors import GGUFError
from app.models.gguf.header import (
    FILE_TYPES,
    GGML_TYPES,
    ArraySummary,
    iter_metadata,
    read_gguf,
    split_parts,
)
from app.models.sizing import (
    ModelShape,
    choose_gpu_layers,
    compute_buffer_bytes,
    estimate_memory,
    full_offload_vram,
    kv_cache_bytes,
)
from tests.support.gguf_samples import write_gguf


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    write_gguf(path, n_layers=3, n_vocab=40, context_length=8192)
    return path


def test_reads_what_gguf_wrote(sample: Path) -> None:
    info = read_gguf(sample)
    assert info.version == 3
    assert info.byte_order == "little"
    assert info.architecture == "qwen2"
    assert info.name == "tiny-test-model"
    assert info.context_length == 8192
    assert info.block_count == 3
    assert info.embedding_length == 64
    assert info.head_count == 4
    assert info.head_count_kv == 2
    assert info.head_dim == 16
    assert info.vocab_size == 40
    assert info.has_chat_template
    assert "<|im_start|>" in (info.chat_template or "")
    assert info.quantization == "F32"
    assert info.parts == (sample,)
    assert info.file_size == sample.stat().st_size
    summary = info.summary()
    assert summary["block_count"] == 3 and summary["parts"] == 1
    shown = dict(iter_metadata(info))
    assert shown["general.architecture"] == "qwen2"


def test_tensor_table_matches_the_gguf_package(sample: Path) -> None:
    info = read_gguf(sample)
    reference = gguf.GGUFReader(sample)
    theirs = {
        t.name: (tuple(int(d) for d in t.shape), int(t.tensor_type), int(t.n_bytes))
        for t in reference.tensors
    }
    ours = {t.name: (t.shape, t.ggml_type, t.nbytes) for t in info.tensors}
    assert ours == theirs
    assert info.tensor_count == len(reference.tensors)
    assert info.tensor_bytes == sum(int(t.n_bytes) for t in reference.tensors)
    assert info.tensor_bytes < info.file_size


def test_quantized_tensors_and_file_type(tmp_path: Path) -> None:
    path = tmp_path / "q8.gguf"
    write_gguf(path, q8_weights=True, file_type=int(gguf.LlamaFileType.MOSTLY_Q8_0))
    info = read_gguf(path)
    assert info.quantization == "Q8_0"
    q_tensors = [t for t in info.tensors if t.type_name == "Q8_0"]
    assert len(q_tensors) == 2
    reference = {t.name: int(t.n_bytes) for t in gguf.GGUFReader(path).tensors}
    for tensor in q_tensors:
        assert tensor.nbytes == reference[tensor.name] == 64 * 64 // 32 * 34


def test_quantization_falls_back_to_the_dominant_weight_type(tmp_path: Path) -> None:
    path = tmp_path / "noftype.gguf"
    write_gguf(path)
    assert read_gguf(path).file_type is None
    assert read_gguf(path).quantization == "F32"


def test_big_endian_file(tmp_path: Path) -> None:
    path = tmp_path / "be.gguf"
    write_gguf(path, big_endian=True, n_vocab=30)
    info = read_gguf(path)
    assert info.byte_order == "big"
    assert info.block_count == 2 and info.vocab_size == 30


def test_no_chat_template(tmp_path: Path) -> None:
    path = tmp_path / "plain.gguf"
    write_gguf(path, chat_template=None)
    assert not read_gguf(path).has_chat_template


def test_split_set_is_read_as_one_model(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "big.gguf", split_max_tensors=10, n_layers=2)
    assert [p.name for p in parts] == [f"big-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    assert split_parts(parts[1]) == parts
    whole = read_gguf(parts[0])
    via_middle = read_gguf(parts[1])
    assert whole.parts == tuple(parts) == via_middle.parts
    assert whole.tensor_count == 27
    assert {t.part for t in whole.tensors} == {0, 1, 2}
    assert whole.file_size == sum(p.stat().st_size for p in parts)
    assert whole.block_count == 2
    parts[2].unlink()
    with pytest.raises(GGUFError, match=r"big-00003-of-00003\.gguf"):
        read_gguf(parts[0])


def test_type_tables_agree_with_the_gguf_package() -> None:
    for qtype, (block, size) in gguf.GGML_QUANT_SIZES.items():
        if int(qtype) in GGML_TYPES:
            name, ours_block, ours_size = GGML_TYPES[int(qtype)]
            assert (name, ours_block, ours_size) == (qtype.name, block, size)
    assert len(GGML_TYPES) >= 30
    for ftype in gguf.LlamaFileType:
        if int(ftype) in FILE_TYPES:
            assert "MOSTLY_" + FILE_TYPES[int(ftype)] == ftype.name or (
                ftype.name == "ALL_F32" and FILE_TYPES[0] == "F32"
            )
    assert FILE_TYPES[15] == "Q4_K_M" and FILE_TYPES[12] == "Q3_K_M"
    assert FILE_TYPES[17] == "Q5_K_M" and FILE_TYPES[7] == "Q8_0"


# ---------------------------------------------------------------- hostile input


def _check_rejected(path: Path, *words: str) -> GGUFError:
    with pytest.raises(GGUFError) as caught:
        read_gguf(path)
    text = str(caught.value)
    for word in words:
        assert word in text
    assert caught.value.zh and caught.value.en
    return caught.value


def test_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("just some text, not a model\n" * 10)
    _check_rejected(path, "GGUF")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    _check_rejected(empty, "GGUF")


def test_missing_file(tmp_path: Path) -> None:
    _check_rejected(tmp_path / "nope.gguf", "nope.gguf")


def test_truncated_anywhere_is_rejected(sample: Path, tmp_path: Path) -> None:
    data = sample.read_bytes()
    info = read_gguf(sample)
    data_start = info.file_size - info.tensor_bytes - 64
    cuts = sorted(
        {
            1,
            4,
            7,
            12,
            20,
            30,
            100,
            500,
            1000,
            data_start // 2,
            len(data) - 1,
            len(data) - 100,
            data_start + 10,
        }
        | set(range(0, 2000, 97))
    )
    for cut in cuts:
        if cut >= len(data):
            continue
        path = tmp_path / f"cut{cut}.gguf"
        path.write_bytes(data[:cut])
        _check_rejected(path)


def _patched(sample: Path, tmp_path: Path, offset: int, fmt: str, value: int) -> Path:
    data = bytearray(sample.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    path = tmp_path / "patched.gguf"
    path.write_bytes(bytes(data))
    return path


def test_unsupported_version(sample: Path, tmp_path: Path) -> None:
    _check_rejected(_patched(sample, tmp_path, 4, "<I", 1), "version")
    _check_rejected(_patched(sample, tmp_path, 4, "<I", 99), "version")


def test_absurd_counts_and_lengths(sample: Path, tmp_path: Path) -> None:
    _check_rejected(_patched(sample, tmp_path, 8, "<Q", 1 << 40), "tensor count")
    _check_rejected(_patched(sample, tmp_path, 16, "<Q", 1 << 40), "metadata count")
    _check_rejected(_patched(sample, tmp_path, 24, "<Q", 1 << 50), "absurd length")
    data = sample.read_bytes()
    key = b"tokenizer.ggml.tokens"
    at = data.index(key) + len(key)  # then: value type u32, item type u32, count u64
    assert struct.unpack_from("<II", data, at) == (9, 8)
    _check_rejected(_patched(sample, tmp_path, at + 8, "<Q", 1 << 40), "array length")
    _check_rejected(_patched(sample, tmp_path, at, "<I", 77), "unknown value type")
    more = tmp_path / "small-count.gguf"
    # a tensor count larger than the table: reading runs into the data and fails cleanly
    more.write_bytes(_patched(sample, tmp_path, 8, "<Q", 5000).read_bytes())
    _check_rejected(more)


def test_bad_tensor_records(sample: Path, tmp_path: Path) -> None:
    data = sample.read_bytes()
    name = b"token_embd.weight"
    at = data.index(name) + len(name)  # n_dims u32, dims u64[n], type u32, offset u64
    _check_rejected(_patched(sample, tmp_path, at, "<I", 5), "dimensions")
    _check_rejected(_patched(sample, tmp_path, at + 4, "<Q", 0), "shape")
    n_dims = struct.unpack_from("<I", data, at)[0]
    type_at = at + 4 + 8 * n_dims
    _check_rejected(_patched(sample, tmp_path, type_at + 4, "<Q", 1), "aligned")
    _check_rejected(_patched(sample, tmp_path, type_at + 4, "<Q", 1 << 40), "end of the file")
    # Q4_K needs rows that are multiples of 256: a 64-wide tensor cannot be Q4_K
    _check_rejected(_patched(sample, tmp_path, type_at, "<I", 12), "block size")
    # the second tensor moved onto the first one's data
    second = data.index(b"blk.0.attn_norm.weight") + len(b"blk.0.attn_norm.weight")
    second_offset_at = second + 4 + 8 * 1 + 4
    _check_rejected(_patched(sample, tmp_path, second_offset_at, "<Q", 32), "overlap")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 255)), min_size=1, max_size=6))
def test_random_header_damage_never_escapes_as_another_error(
    sample: Path, tmp_path: Path, damage: list[tuple[int, int]]
) -> None:
    data = bytearray(sample.read_bytes())
    for offset, value in damage:
        data[offset] = value
    path = tmp_path / "fuzzed.gguf"
    path.write_bytes(bytes(data))
    try:
        info = read_gguf(path)
    except GGUFError as err:
        assert err.zh and err.en
    else:
        assert info.tensor_bytes <= info.file_size


def test_long_arrays_are_summarised(tmp_path: Path) -> None:
    path = tmp_path / "vocab.gguf"
    write_gguf(path, n_vocab=5000)
    info = read_gguf(path)
    tokens = info.get("tokenizer.ggml.tokens")
    assert isinstance(tokens, ArraySummary) and tokens.count == 5000
    assert info.vocab_size == 5000


# ---------------------------------------------------------------- sizing


def test_kv_cache_formula_for_qwen25_32b() -> None:
    # 64 layers × 8192 positions × 8 KV heads × 128 dims × (K and V) × 2 bytes = 2 GiB
    assert kv_cache_bytes(64, 8192, 8, 128) == 64 * 8192 * 8 * 128 * 2 * 2 == 2 * 1024**3


def test_shape_from_header_counts_layers_output_and_embedding(sample: Path) -> None:
    info = read_gguf(sample)
    shape = ModelShape.from_gguf(info)
    per_layer = info.layer_bytes()
    assert sorted(per_layer) == [0, 1, 2]
    assert shape.layer_bytes == max(per_layer.values())
    assert shape.embd_bytes == 40 * 64 * 4
    assert shape.output_bytes == 40 * 64 * 4 + 64 * 4  # output.weight + output_norm
    assert shape.repeating_bytes == sum(per_layer.values())
    assert not shape.tied_output


def test_tied_output_puts_a_copy_of_the_embedding_on_the_gpu(tmp_path: Path) -> None:
    path = tmp_path / "tied.gguf"
    write_gguf(path, tied_output=True)
    shape = ModelShape.from_gguf(read_gguf(path))
    assert shape.tied_output
    assert shape.output_bytes == shape.embd_bytes + 64 * 4


def test_choose_gpu_layers(sample: Path) -> None:
    info = read_gguf(sample)
    shape = ModelShape.from_gguf(info)
    n_ctx = 1024
    full = full_offload_vram(shape, n_ctx)
    reserve = 1000
    assert choose_gpu_layers(full + reserve, info, n_ctx, reserve) == shape.n_layers + 1
    assert choose_gpu_layers(0, shape, n_ctx, reserve) == 0
    per_layer = shape.layer_bytes + kv_cache_bytes(1, n_ctx, 2, 16)
    base = compute_buffer_bytes(shape, n_ctx) + shape.output_bytes + reserve
    assert choose_gpu_layers(base + per_layer, shape, n_ctx, reserve) == 1
    assert choose_gpu_layers(base + 2 * per_layer + 5, shape, n_ctx, reserve) == 2
    assert choose_gpu_layers(base + per_layer - 1, shape, n_ctx, reserve) == 0
    # more context leaves room for fewer layers
    assert choose_gpu_layers(full + reserve, shape, n_ctx * 8, reserve) < shape.n_layers + 1
    # what choose_gpu_layers picks fits by estimate_memory's own account
    for budget in range(base, full + reserve, max(1, (full - base) // 7)):
        k = choose_gpu_layers(budget, shape, n_ctx, reserve)
        assert estimate_memory(shape, n_ctx, k).gpu_bytes <= budget - reserve


def test_estimate_memory_splits_between_gpu_and_cpu(sample: Path) -> None:
    shape = ModelShape.from_gguf(read_gguf(sample))
    cpu_only = estimate_memory(shape, 2048, 0)
    assert cpu_only.gpu_bytes == 0
    assert cpu_only.cpu_bytes >= shape.weight_bytes + cpu_only.kv_bytes
    everything = estimate_memory(shape, 2048, shape.n_layers + 1)
    assert everything.n_gpu_layers == shape.n_layers + 1
    assert everything.gpu_bytes == full_offload_vram(shape, 2048)
    assert everything.cpu_bytes < cpu_only.cpu_bytes


def test_qwen25_32b_q4_k_m_table_figures() -> None:
    arch = ArchInfo(layers=64, heads=40, kv_heads=8, head_dim=128, hidden=5120, vocab=152064)
    shape = ModelShape.from_arch(arch, 19_900_000_000)
    vram = full_offload_vram(shape, 8192)
    kv = kv_cache_bytes(64, 8192, 8, 128)
    assert vram == 19_900_000_000 + kv + compute_buffer_bytes(shape, 8192)
    # a 24 GB card holds it all with half a GiB to spare; a 16 GB card holds part of it
    assert choose_gpu_layers(24 * 10**9, shape, 8192) == 65
    partial = choose_gpu_layers(16 * 10**9, shape, 8192)
    assert 30 < partial < 64
