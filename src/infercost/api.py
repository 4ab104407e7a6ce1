"""The Python API: `infercost.bench(...)` and `infercost.load(...)`, the same library the CLI calls.

API layer: above the commands, beside the CLI. A torch module passed in is exported with torch.export to an
ExportedProgram (.pt2) per batch and resolution, and each point runs from that file in its own child process, as
every case does: never silently in this process. That needs a module torch.export can trace (no data-dependent
control flow), and a .pt2 runs on the torch and torch-compile backends; other runtimes take a zoo name or an ONNX
file. A module torch.export can't trace is refused with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from infercost.errors import UsageError
from infercost.textfiles import first_line


class Results(list):
    """Records, as a list; `.to_pandas()` flattens them (one row per point, statistics as columns)."""

    def to_pandas(self, keep_samples: bool = True):
        from infercost.results.export import to_frame

        return to_frame(self, keep_samples=keep_samples)


def load(directory: str | Path) -> Results:
    """The records of a results directory (or a results.jsonl file)."""
    from infercost.results import load_records

    return Results(load_records(directory))


def bench(model, *, batch: int | Sequence[int] = 1, resolution: int | str | Sequence | None = None,
          backend: str | Sequence[str] = "torch", precision: str | Sequence[str] = "fp32", device: str = "cpu",
          isolate: bool = True, out: str | Path | None = None, options=None) -> Results:
    """Measure `model` (a zoo name, torchvision:NAME, a .onnx or .pt2 path, python:module:factory, or a
    torch.nn.Module) at every combination of the given batches, resolutions, backends and precisions. Each point runs
    in a child process unless `isolate` is False; records are appended to `out` when given. `options` is a
    RunOptions (timer, time-out, memory cap, tolerances)."""
    from infercost.commands.bench import run_bench
    from infercost.grid import Grid
    from infercost.runner import RunOptions

    batches, sizes = _listed(batch), [str(r) for r in _listed(resolution)] if resolution is not None else []
    options = (options or RunOptions()).with_(isolate=isolate)
    models = [model] if isinstance(model, str) else None
    records = Results()
    out_dir = str(out) if out is not None else str(_scratch())
    if models is not None:
        grid = Grid(tuple(models), tuple(_listed(backend)), (device,), tuple(_listed(precision)), tuple(batches),
                    tuple(sizes))
        records += run_bench(grid, options, out_dir, progress=False)
        return records
    if not isolate:  # asked for: the module measured in this process, under a name of its own
        from infercost.models import register_model

        name = f"module:{type(model).__name__}-{id(model):x}"
        register_model(model, name, in_channels=getattr(model, "in_channels", 3))
        grid = Grid((name,), tuple(_listed(backend)), (device,), tuple(_listed(precision)), tuple(batches),
                    tuple(sizes))
        records += run_bench(grid, options, out_dir, progress=False)
        return records
    for b in batches:  # an ExportedProgram has static shapes: one file per batch and size
        for size in sizes or ["224"]:
            path = _exported(model, b, size)
            grid = Grid((str(path),), tuple(_listed(backend)), (device,), tuple(_listed(precision)), (b,), (size,))
            records += run_bench(grid, options, out_dir, progress=False)
    return records


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _scratch() -> Path:
    from infercost.paths import cache_dir

    return cache_dir("api-results")


def _exported(module, batch: int, size: str) -> Path:
    """The module exported for this batch and size, cached by its structure, weights' shapes and the point."""
    import torch

    from infercost.case import parse_resolution
    from infercost.paths import cache_dir

    if not isinstance(module, torch.nn.Module):
        raise UsageError(f"bench takes a model name, a path or a torch.nn.Module, not {type(module).__name__}")
    height, width = parse_resolution(size)
    channels = getattr(module, "in_channels", 3)
    example = (torch.rand(batch, channels, height, width),)
    digest = hashlib.sha256(f"{module!r}|{batch}|{height}x{width}".encode())
    for name, tensor in module.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
    path = cache_dir("modules") / f"{type(module).__name__}-{digest.hexdigest()[:16]}.pt2"
    if not path.exists():
        try:
            torch.export.save(torch.export.export(module.eval(), example), str(path))
        except Exception as exc:  # noqa: BLE001 - any tracing failure: refused with its reason, never run in process
            raise UsageError(f"{type(module).__name__} can't be sent to a child process: torch.export failed "
                             f"({first_line(exc, 160)}); pass a zoo name, an ONNX file or python:module:factory, "
                             f"or isolate=False to measure it in this process") from None
    return path
