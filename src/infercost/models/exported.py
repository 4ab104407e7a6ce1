"""A module sent to a child process as an ExportedProgram (.pt2): torch.export at one batch and size, cached.

Runtime layer (models). The child process is a fresh interpreter: a module that lives only in this process (passed
to infercost.bench, or registered with register_model) reaches it as a file. torch.export must be able to trace it
(no branches on the data); one it can't is refused with the reason, never run in this process instead.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from infercost.errors import UsageError
from infercost.models.loaders import PT2_META
from infercost.paths import cache_dir
from infercost.textfiles import one_line

if TYPE_CHECKING:
    from infercost.case import Case
    from infercost.models.zoo import ModelSpec


def export_module(spec: ModelSpec, case: Case) -> Path:
    """A registered module exported for this case's batch and size (or sequence length), cached by its structure,
    its weights' shapes and the point. A token module's inputs ride along in the archive (extra/infercost.json)."""
    module = spec.create(**case.model_options)
    if not isinstance(module, nn.Module):
        raise UsageError(f"a model to measure is a name, a path or a torch.nn.Module, not {type(module).__name__}")
    if spec.tokens:
        seq = case.seq_len(spec.default_seq)
        args, kwargs = (), spec.example_input(case.batch_size, 1, 1, seq=seq)
        point = f"{spec.token_inputs}|{case.batch_size}|seq={seq}"
        extra = {PT2_META: json.dumps({"vocab_size": spec.vocab_size, "token_inputs": list(spec.token_inputs),
                                       "seq": seq})}
    else:
        args, kwargs = (torch.rand(case.batch_size, spec.in_channels, case.height, case.width),), {}
        point = f"{case.batch_size}|{spec.in_channels}|{case.height}x{case.width}"
        extra = None
    digest = hashlib.sha256(f"{module!r}|{point}".encode())
    for name, tensor in module.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
    label = type(module.model if spec.tokens else module).__name__
    path = cache_dir("modules") / f"{label}-{digest.hexdigest()[:16]}.pt2"
    if not path.exists():
        try:
            program = torch.export.export(module.eval(), args, kwargs)
        except Exception as exc:  # noqa: BLE001 - any tracing failure: refused with its reason
            raise UsageError(f"{label} can't be sent to a child process: torch.export failed "
                             f"({one_line(exc, 160)}); pass a zoo name, an ONNX file or python:module:factory, "
                             f"or measure it in this process (isolate=False)") from None
        torch.export.save(program, str(path), extra_files=extra)
    return path


def registered_spec(name: str) -> ModelSpec | None:
    """The spec of a module registered under `name` in this process, or None."""
    from infercost.models.loaders import _REGISTERED

    return _REGISTERED.get(name)
