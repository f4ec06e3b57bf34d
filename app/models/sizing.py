"""Memory estimates for running a model with llama.cpp, and how many layers fit on a GPU.

All functions are pure. The numbers are estimates from the model's shape:

* weights: the tensor bytes of each repeating layer (``blk.N.*``) from the GGUF header;
  the output matrix (``output.weight`` + ``output_norm``) goes to the GPU with the first
  offloaded layer; the token embedding stays in system memory (llama.cpp keeps it there).
* KV cache: ``n_layers × n_ctx × n_kv_heads × head_dim × 2 (K and V) × bytes`` (f16: 2).
* compute buffer: attention scores ``n_ctx × n_ubatch × n_heads × 4`` (not needed with
  flash attention), logits ``n_vocab × n_ubatch × 4`` and activations
  ``n_ubatch × n_embd × 4 × 8``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models.catalog import ArchInfo
from app.models.gguf.header import GGUFInfo

F16_BYTES = 2
DEFAULT_UBATCH = 512


@dataclass(frozen=True)
class ModelShape:
    """What memory estimates need to know about a model."""

    n_layers: int
    n_embd: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    n_vocab: int
    layer_bytes: int  # weight bytes of the largest repeating layer
    output_bytes: int  # output matrix + final norm (offloaded with the first GPU layer)
    embd_bytes: int  # token embedding (kept in system memory)
    weight_bytes: int  # all tensors
    tied_output: bool = False  # no output.weight: the GPU gets a copy of token_embd

    @property
    def repeating_bytes(self) -> int:
        """All repeating-layer weights (everything but embedding and output)."""
        own_output = 0 if self.tied_output else self.output_bytes
        return max(0, self.weight_bytes - self.embd_bytes - own_output)

    @classmethod
    def from_gguf(cls, info: GGUFInfo) -> ModelShape:
        n_layers = info.block_count
        n_embd = info.embedding_length
        n_heads = info.head_count
        if not (n_layers and n_embd and n_heads):
            raise ValueError(
                f"{info.path.name}: the header lacks block_count/embedding_length/head_count"
            )
        per_layer = info.layer_bytes()
        output = info.non_layer_bytes("output")
        embd = info.non_layer_bytes("token_embd")
        tied = info.non_layer_bytes("output.weight") == 0
        if tied:  # tied embeddings: the output step uses a GPU copy of token_embd
            output += embd
        return cls(
            n_layers=n_layers,
            n_embd=n_embd,
            n_heads=n_heads,
            n_kv_heads=info.head_count_kv or n_heads,
            head_dim=info.head_dim or n_embd // n_heads,
            n_vocab=info.vocab_size or 0,
            layer_bytes=max(per_layer.values()) if per_layer else 0,
            output_bytes=output,
            embd_bytes=embd,
            weight_bytes=info.tensor_bytes,
            tied_output=tied,
        )

    @classmethod
    def from_arch(cls, arch: ArchInfo, weight_bytes: int) -> ModelShape:
        """An approximation before download: the file size spread evenly over the layers,
        with the output matrix counted as one more layer (an over-estimate, on purpose)."""
        layer = weight_bytes // (arch.layers + 1)
        return cls(
            n_layers=arch.layers,
            n_embd=arch.hidden,
            n_heads=arch.heads,
            n_kv_heads=arch.kv_heads,
            head_dim=arch.head_dim,
            n_vocab=arch.vocab,
            layer_bytes=layer,
            output_bytes=weight_bytes - layer * arch.layers,
            embd_bytes=0,
            weight_bytes=weight_bytes,
        )


def kv_cache_bytes(
    n_layers: int, n_ctx: int, n_kv_heads: int, head_dim: int, bytes_per_value: int = F16_BYTES
) -> int:
    """K and V for every layer and position: layers × ctx × kv_heads × head_dim × 2 × bytes."""
    return n_layers * n_ctx * n_kv_heads * head_dim * 2 * bytes_per_value


def kv_bytes_per_layer(shape: ModelShape, n_ctx: int, bytes_per_value: int = F16_BYTES) -> int:
    return kv_cache_bytes(1, n_ctx, shape.n_kv_heads, shape.head_dim, bytes_per_value)


def compute_buffer_bytes(
    shape: ModelShape, n_ctx: int, n_ubatch: int = DEFAULT_UBATCH, flash_attn: bool = False
) -> int:
    """Scratch memory for one micro-batch (an estimate; see the module notes)."""
    scores = 0 if flash_attn else n_ctx * n_ubatch * shape.n_heads * 4
    logits = shape.n_vocab * n_ubatch * 4
    activations = n_ubatch * shape.n_embd * 4 * 8
    return scores + logits + activations


@dataclass(frozen=True)
class MemoryEstimate:
    gpu_bytes: int
    cpu_bytes: int
    kv_bytes: int
    compute_bytes: int
    n_gpu_layers: int


def estimate_memory(
    shape: ModelShape,
    n_ctx: int,
    n_gpu_layers: int,
    *,
    n_ubatch: int = DEFAULT_UBATCH,
    flash_attn: bool = False,
    kv_bytes_per_value: int = F16_BYTES,
) -> MemoryEstimate:
    """GPU and system memory for ``n_gpu_layers`` offloaded (llama.cpp's meaning: a value
    above ``n_layers`` offloads everything)."""
    k = max(0, min(n_gpu_layers, shape.n_layers))
    everything = n_gpu_layers > shape.n_layers
    kv_layer = kv_bytes_per_layer(shape, n_ctx, kv_bytes_per_value)
    compute = compute_buffer_bytes(shape, n_ctx, n_ubatch, flash_attn)
    logits = shape.n_vocab * n_ubatch * 4
    offloading = k > 0 or everything
    gpu = 0
    if offloading:
        gpu = shape.output_bytes + k * (shape.layer_bytes + kv_layer) + compute
    own_output = 0 if shape.tied_output else shape.output_bytes
    cpu = (
        shape.embd_bytes
        + max(0, shape.repeating_bytes - k * shape.layer_bytes)
        + (0 if offloading else own_output)
        + (shape.n_layers - k) * kv_layer
        + (logits if offloading else compute)
    )
    return MemoryEstimate(
        gpu_bytes=gpu,
        cpu_bytes=cpu,
        kv_bytes=shape.n_layers * kv_layer,
        compute_bytes=compute,
        n_gpu_layers=shape.n_layers + 1 if everything else k,
    )


def full_offload_vram(
    shape: ModelShape, n_ctx: int, *, flash_attn: bool = False, n_ubatch: int = DEFAULT_UBATCH
) -> int:
    """GPU memory to hold every layer, the output matrix, the KV cache and the compute buffer."""
    return (
        shape.output_bytes
        + shape.n_layers * (shape.layer_bytes + kv_bytes_per_layer(shape, n_ctx))
        + compute_buffer_bytes(shape, n_ctx, n_ubatch, flash_attn)
    )


def choose_gpu_layers(
    free_vram: int,
    model_info: ModelShape | GGUFInfo,
    n_ctx: int,
    reserve: int = 512 * 1024 * 1024,
    *,
    flash_attn: bool = False,
    n_ubatch: int = DEFAULT_UBATCH,
) -> int:
    """How many layers to offload (llama.cpp's ``n_gpu_layers``) into ``free_vram`` bytes.

    Keeps ``reserve`` bytes free for the driver and other programs. Returns
    ``n_layers + 1`` when the whole model (output matrix included) fits, otherwise the
    number of repeating layers that fit alongside the output matrix and the compute
    buffer, or 0 when not even one layer does (run on the CPU).
    """
    shape = model_info if isinstance(model_info, ModelShape) else ModelShape.from_gguf(model_info)
    budget = free_vram - reserve - compute_buffer_bytes(shape, n_ctx, n_ubatch, flash_attn)
    per_layer = shape.layer_bytes + kv_bytes_per_layer(shape, n_ctx)
    budget -= shape.output_bytes
    if budget < per_layer or per_layer <= 0:
        return 0
    layers = budget // per_layer
    if layers >= shape.n_layers:
        return shape.n_layers + 1
    return int(layers)
