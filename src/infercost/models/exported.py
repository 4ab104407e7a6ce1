"""A module sent to a child process as an ExportedProgram (.pt2): torch.export at one batch and size, cached.

Runtime layer (models). The child process is a fresh interpreter: a module that lives only in this process (passed
to infercost.bench, or registered with register_model) reaches it as a file. torch.export must be able to trace it
(no branches on the data); one it can't is refused with the reason, never run in this process instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from infercost.errors import UsageError
from infercost.paths import cache_dir
from infercost.textfiles import one_line


def export_module(module: nn.Module, batch: int, height: int, width: int, in_channels: int = 3) -> Path:
    """The module exported for this batch and size, cached by its structure, its weights' shapes and the point."""
    if not isinstance(module, nn.Module):
        raise UsageError(f"a model to measure is a name, a path or a torch.nn.Module, not {type(module).__name__}")
    example = (torch.rand(batch, in_channels, height, width),)
    digest = hashlib.sha256(f"{module!r}|{batch}|{in_channels}|{height}x{width}".encode())
    for name, tensor in module.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
    path = cache_dir("modules") / f"{type(module).__name__}-{digest.hexdigest()[:16]}.pt2"
    if not path.exists():
        try:
            torch.export.save(torch.export.export(module.eval(), example), str(path))
        except Exception as exc:  # noqa: BLE001 - any tracing failure: refused with its reason
            raise UsageError(f"{type(module).__name__} can't be sent to a child process: torch.export failed "
                             f"({one_line(exc, 160)}); pass a zoo name, an ONNX file or python:module:factory, "
                             f"or measure it in this process (isolate=False)") from None
    return path


def registered_module(name: str) -> tuple[nn.Module, int] | None:
    """The module registered under `name` in this process (and its input channels), or None."""
    from infercost.models.loaders import _REGISTERED

    spec = _REGISTERED.get(name)
    return (spec.create(), spec.in_channels) if spec is not None else None
