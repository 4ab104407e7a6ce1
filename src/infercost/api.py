"""The Python API: `infercost.bench(...)` and `infercost.load(...)`, the same library the CLI calls.

API layer: above the commands, beside the CLI. A torch module passed in is registered under a name of its own; the
runner exports it with torch.export to an ExportedProgram (.pt2) per batch and resolution, and each point runs from
that file in its own child process, as every case does: never silently in this process. That needs a module
torch.export can trace (no data-dependent control flow), and a .pt2 runs on the torch and torch-compile backends;
other runtimes take a zoo name or an ONNX file. A module torch.export can't trace is refused with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from infercost.errors import UsageError


class Results(list):
    """Records, as a list; `.to_pandas()` flattens them (one row per point, statistics as columns)."""

    def to_pandas(self, keep_samples: bool = True):
        from infercost.results.export import to_frame

        return to_frame(self, keep_samples=keep_samples)


def load(directory: str | Path) -> Results:
    """The records of a results directory (or a results.jsonl file)."""
    from infercost.results import load_records

    return Results(load_records(directory))


def bench(model, *, inputs=None, batch: int | Sequence[int] = 1, seq_len: int | Sequence[int] | None = None,
          resolution: int | str | Sequence | None = None, backend: str | Sequence[str] | None = None,
          precision: str | Sequence[str] = "fp32", device: str = "cpu", isolate: bool = True,
          out: str | Path | None = None, options=None, dims: Mapping[str, int] | None = None) -> Results:
    """Measure `model` (a zoo name, torchvision:NAME, hf:DIR, a .onnx or .pt2 path, python:module:factory, or a
    torch.nn.Module) at every combination of the given batches, sequence lengths or resolutions, backends and
    precisions. A module takes one image batch unless `inputs` names the token inputs it takes (input_ids,
    attention_mask, token_type_ids; a transformers model is known without it). `dims` binds an ONNX file's named
    dimensions. Each point runs in a child process unless `isolate` is False (a module then reaches the child as an
    ExportedProgram, see models/exported.py); records are appended to `out` when given. `backend` defaults to torch,
    or onnxruntime for an ONNX file. `options` is a RunOptions (timer, time-out, memory cap, tolerances)."""
    from infercost.commands.bench import run_bench
    from infercost.grid import Grid
    from infercost.runner import RunOptions

    if not isinstance(model, str):  # a module: registered here under a name of its own, exported per point
        from infercost.models import register_model

        name = f"module:{type(model).__name__}-{id(model):x}"
        register_model(model, name, in_channels=getattr(model, "in_channels", 3), inputs=inputs)
        model = name
    elif inputs is not None:
        raise UsageError("inputs= describes a torch.nn.Module's inputs; a named model brings its own "
                         "(bind an ONNX file's dimensions with dims=)")
    grid = Grid.of(model, backends=backend, devices=device, precisions=precision, batches=batch,
                   resolutions=resolution, dims=[f"{k}={v}" for k, v in (dims or {}).items()], seq_lens=seq_len)
    options = (options or RunOptions()).with_(isolate=isolate)
    return Results(run_bench(grid, options, str(out) if out is not None else str(_scratch()), progress=False))


def _scratch() -> Path:
    from infercost.paths import cache_dir

    return cache_dir("api-results")
