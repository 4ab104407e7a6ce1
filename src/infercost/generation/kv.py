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


def kv_element_bytes(precision: str, kv_precision: str | None = None) -> float:
    """The cache's bytes an element: its own precision where given (fp16, bf16 or fp8), else the activations' type:
    fp32 and torch's dynamic int8 (fp32 activations) in 4 bytes, everything served in 16 bits or less in 2."""
    if kv_precision is not None:
        if kv_precision not in ("fp32", "fp16", "bf16", "fp8"):
            raise ValueError(f"a KV cache is kept in fp32, fp16, bf16 or fp8, not {kv_precision!r}")
        return {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1}[kv_precision]
    return 4 if precision in ("fp32", "int8") else 2


# Memory kept free beside the weights and the KV cache, for activations and the runtime's own buffers: a tenth, as
# vLLM keeps by default (gpu_memory_utilization 0.9). One fraction for measuring, predicting and simulating.
KV_HEADROOM = 0.10


def usable_memory(memory_bytes: float) -> float:
    """What weights and the KV cache may take of a device's memory."""
    return memory_bytes * (1 - KV_HEADROOM)


def kv_cache_tokens(memory_bytes: float, weights_bytes: float, bytes_per_token: float) -> int:
    """Tokens of KV cache a device holds beside the weights, KV_HEADROOM of its memory kept free (0 if none)."""
    return max(0, int((usable_memory(memory_bytes) - weights_bytes) // bytes_per_token))
