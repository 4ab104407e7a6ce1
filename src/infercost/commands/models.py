"""`infercost models`: the zoo with parameters and FLOPs at the default resolution.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from infercost.models import ZOO


def list_models() -> list[dict]:
    rows = []
    for spec in ZOO.values():
        rows.append({"name": spec.name, "task": spec.task, "default_resolution": spec.default_resolution,
                     "params": spec.params(), "gflops": spec.flops() / 1e9, "options": spec.options,
                     "description": spec.description})
    return rows
