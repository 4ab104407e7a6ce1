"""The KV cache's size: elements a token takes from a model's config, and bytes an element takes at a precision.

Core of the generation package: arithmetic only (no framework), shared by measuring and predicting.
"""

from __future__ import annotations


def kv_elements_per_token(config) -> int:
    """Keys and values of every layer for one token: 2 x layers x kv heads x head dim."""
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return 2 * config.num_hidden_layers * kv_heads * head_dim


def kv_element_bytes(precision: str) -> int:
    """The cache is kept in the activations' type: half precisions in 2 bytes, fp32 and weight-only int8 in 4."""
    return 2 if precision in ("fp16", "bf16") else 4


# Memory kept free beside the weights and the KV cache, for activations and the runtime's own buffers: a tenth, as
# vLLM keeps by default (gpu_memory_utilization 0.9). One fraction for measuring, predicting and simulating.
KV_HEADROOM = 0.10


def usable_memory(memory_bytes: float) -> float:
    """What weights and the KV cache may take of a device's memory."""
    return memory_bytes * (1 - KV_HEADROOM)


def kv_cache_tokens(memory_bytes: float, weights_bytes: float, bytes_per_token: float) -> int:
    """Tokens of KV cache a device holds beside the weights, KV_HEADROOM of its memory kept free (0 if none)."""
    return max(0, int((usable_memory(memory_bytes) - weights_bytes) // bytes_per_token))
