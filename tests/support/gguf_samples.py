"""Small GGUF files written with the ``gguf`` package (a test-only dependency).

They have the metadata and tensor table of a real transformer (qwen2 names by
default) with tiny random weights, optionally a quantized tensor type, a chat
template, big-endian byte order or a split into several part files. They are meant
for the header reader and the model registry, not for inference.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def write_gguf(
    path: Path,
    *,
    arch: str = "qwen2",
    name: str = "tiny-test-model",
    n_layers: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    n_vocab: int = 48,
    context_length: int = 4096,
    chat_template: str | None = CHATML_TEMPLATE,
    file_type: int | None = None,
    q8_weights: bool = False,
    tied_output: bool = False,
    big_endian: bool = False,
    split_max_tensors: int = 0,
    seed: int = 0,
) -> list[Path]:
    """Write the model; returns the file(s) written (several when split)."""
    rng = np.random.default_rng(seed)
    endian = gguf.GGUFEndian.BIG if big_endian else gguf.GGUFEndian.LITTLE
    writer = gguf.GGUFWriter(path, arch, endianess=endian, split_max_tensors=split_max_tensors)
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_block_count(n_layers)
    writer.add_embedding_length(n_embd)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_layer_norm_rms_eps(1e-6)
    if file_type is not None:
        writer.add_file_type(file_type)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"tok{i}".encode() for i in range(n_vocab)])
    writer.add_token_types([1] * n_vocab)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    head_dim = n_embd // n_head
    writer.add_tensor("token_embd.weight", f32(n_vocab, n_embd))
    for layer in range(n_layers):
        blk = f"blk.{layer}."
        writer.add_tensor(blk + "attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        if q8_weights:
            # Q8_0: 34 bytes per 32 values; numpy shape (rows, bytes per row)
            raw = rng.integers(0, 255, size=(n_embd, n_embd // 32 * 34), dtype=np.uint8)
            writer.add_tensor(blk + "attn_q.weight", raw, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(blk + "attn_q.weight", f32(n_embd, n_embd))
        writer.add_tensor(blk + "attn_k.weight", f32(n_head_kv * head_dim, n_embd))
        writer.add_tensor(blk + "attn_v.weight", f32(n_head_kv * head_dim, n_embd))
        writer.add_tensor(blk + "attn_q.bias", f32(n_embd))
        writer.add_tensor(blk + "attn_k.bias", f32(n_head_kv * head_dim))
        writer.add_tensor(blk + "attn_v.bias", f32(n_head_kv * head_dim))
        writer.add_tensor(blk + "attn_output.weight", f32(n_embd, n_embd))
        writer.add_tensor(blk + "ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(blk + "ffn_gate.weight", f32(n_ff, n_embd))
        writer.add_tensor(blk + "ffn_up.weight", f32(n_ff, n_embd))
        writer.add_tensor(blk + "ffn_down.weight", f32(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    if not tied_output:
        writer.add_tensor("output.weight", f32(n_vocab, n_embd))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    if split_max_tensors:
        return sorted(path.parent.glob(f"{path.stem}-*-of-*.gguf"))
    return [path]


def gguf_bytes(tmp_dir: Path, **kwargs: object) -> bytes:
    """The bytes of a single-file model (for serving from the fake hub)."""
    path = tmp_dir / "sample-for-bytes.gguf"
    write_gguf(path, **kwargs)  # type: ignore[arg-type]
    data = path.read_bytes()
    path.unlink()
    return data
