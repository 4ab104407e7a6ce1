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
