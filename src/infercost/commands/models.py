"""`infercost models`: the zoo with parameters and FLOPs at the default resolution.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from infercost.errors import UsageError
from infercost.grid import model_inputs
from infercost.inputs import image_input
from infercost.models import ZOO


def list_models() -> list[dict]:
    """Every zoo model with its size; a token model at its default sequence length. A model whose optional package
    is missing is listed with the reason instead of its counts."""
    rows = []
    for spec in ZOO.values():
        row = {"name": spec.name, "task": spec.task,
               "default_resolution": None if spec.tokens else spec.default_resolution,
               "default_seq_len": spec.default_seq if spec.tokens else None, "options": spec.options,
               "inputs": [i.to_dict() for i in model_inputs(spec) or (image_input(spec.in_channels),)],
               "description": spec.description}
        try:
            row.update(params=spec.params(), gflops=spec.flops() / 1e9)
        except UsageError as exc:
            row.update(params=None, gflops=None, description=f"{spec.description} ({exc})")
        rows.append(row)
    return rows


def list_language_models() -> list[dict]:
    """The language models the package knows by shape (models/data/llm-architectures.csv): parameters computed
    from each one's numbers (total and active), the KV cache a token takes in 16 bits, and where the shape was read."""
    from infercost.models.llm import shipped, stated_params

    rows = []
    for name, (shape, row) in shipped().items():
        rows.append({"name": name, "hf_id": row.get("hf_id") or None, "model_type": shape.model_type,
                     "params": shape.params, "active_params": shape.active_params,
                     "params_stated": stated_params(row), "layers": shape.layers, "hidden": shape.hidden,
                     "heads": shape.heads, "kv_heads": shape.kv_heads,
                     "experts": f"{shape.experts_per_token} of {shape.experts}" if shape.moe else None,
                     "attention": "latent (MLA)" if shape.kv_lora_rank else
                     "sliding window" if shape.sliding_window else
                     "multi-query" if shape.kv_heads == 1 else "grouped-query" if shape.kv_heads < shape.heads
                     else "multi-head",
                     "kv_cache_bytes_per_token_16bit": shape.kv_elements_per_token() * 2,
                     "source": row.get("source_url")})
    return rows
