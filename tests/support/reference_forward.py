"""A numpy forward pass of the qwen2 architecture, written from the model's definition.

The same computation as Hugging Face's ``Qwen2ForCausalLM`` (eager attention), in
float64 so that it is the exact answer the float32 engine approximates. It works on
the Hugging Face tensors, in Hugging Face's rotary layout, so it also checks the
converter's q/k permutation for llama and its q/k norms for qwen3 (same model without
biases, with ``q_norm``/``k_norm`` before the rotation):

    x = embed[tokens]
    per layer:  h = rmsnorm(x) · w_attn_norm
                q, k, v = h·Wqᵀ + bq, h·Wkᵀ + bk, h·Wvᵀ + bv   (GQA: k, v shared by groups)
                (qwen3: q, k = rmsnorm per head · q_norm, k_norm)
                q, k rotated (NeoX layout: dimension i pairs with i + head_dim/2,
                              angle = position · theta^(-2i/head_dim))
                x += softmax(q·kᵀ/√head_dim, causal) · v · Woᵀ
                h = rmsnorm(x) · w_ffn_norm
                x += (silu(h·Wgᵀ) ⊙ h·Wuᵀ) · Wdᵀ
    logits = rmsnorm(x) · w_norm · W_lmᵀ
"""

from __future__ import annotations

import numpy as np

from tests.support.hf_checkpoint import TinyShape


def _rmsnorm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    scale: np.ndarray = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    out: np.ndarray = x / scale * weight
    return out


def _rope(x: np.ndarray, positions: np.ndarray, theta: float) -> np.ndarray:
    """x: (T, heads, head_dim), NeoX layout."""
    half = x.shape[-1] // 2
    inv = theta ** (-np.arange(half, dtype=np.float64) * 2.0 / x.shape[-1])
    angles = positions[:, None].astype(np.float64) * inv[None, :]  # (T, half)
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def reference_logits(
    weights: dict[str, np.ndarray], shape: TinyShape, tokens: list[int]
) -> np.ndarray:
    """Logits (len(tokens), n_vocab) for ``tokens`` at positions 0, 1, …"""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    hd = shape.head_dim
    group = shape.n_head // shape.n_head_kv
    steps = len(tokens)
    positions = np.arange(steps)
    x = w["model.embed_tokens.weight"][np.asarray(tokens)]
    mask = np.triu(np.full((steps, steps), -np.inf), k=1)
    for i in range(shape.n_layer):
        p = f"model.layers.{i}."
        h = _rmsnorm(x, w[p + "input_layernorm.weight"], shape.rms_eps)
        q = h @ w[p + "self_attn.q_proj.weight"].T + w.get(p + "self_attn.q_proj.bias", 0.0)
        k = h @ w[p + "self_attn.k_proj.weight"].T + w.get(p + "self_attn.k_proj.bias", 0.0)
        v = h @ w[p + "self_attn.v_proj.weight"].T + w.get(p + "self_attn.v_proj.bias", 0.0)
        q = q.reshape(steps, shape.n_head, hd)
        k = k.reshape(steps, shape.n_head_kv, hd)
        if p + "self_attn.q_norm.weight" in w:
            q = _rmsnorm(q, w[p + "self_attn.q_norm.weight"], shape.rms_eps)
            k = _rmsnorm(k, w[p + "self_attn.k_norm.weight"], shape.rms_eps)
        q = _rope(q, positions, shape.rope_theta)
        k = _rope(k, positions, shape.rope_theta)
        v = v.reshape(steps, shape.n_head_kv, hd)
        heads = []
        for head in range(shape.n_head):
            kv = head // group
            scores = q[:, head, :] @ k[:, kv, :].T / np.sqrt(hd) + mask
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            heads.append(scores @ v[:, kv, :])
        attn = np.concatenate(heads, axis=-1)
        x = x + attn @ w[p + "self_attn.o_proj.weight"].T
        h = _rmsnorm(x, w[p + "post_attention_layernorm.weight"], shape.rms_eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
    x = _rmsnorm(x, w["model.norm.weight"], shape.rms_eps)
    return x @ w["lm_head.weight"].T
