"""Turn the lists a user gives (models, backends, devices, precisions, batches, resolutions) into Cases.

Runtime layer (grid).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from infercost.backends import backend_class
from infercost.case import PRECISIONS, Case, parse_resolution, validate_device
from infercost.errors import UsageError
from infercost.limits import BATCH, check_cases
from infercost.models import ModelSpec, resolve_model


def split_list(text: str | Iterable[str] | None) -> list[str]:
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return [p.strip() for p in parts if p.strip()]


def parse_batches(text: str) -> list[int]:
    batches = [BATCH.check("batch size", part) for part in split_list(text)]
    if not batches:
        raise UsageError("no batch size given")
    return batches


def default_size(spec: ModelSpec) -> tuple[int, int]:
    """The model's default resolution; an ONNX file's own fixed size, or an error if it has none."""
    if spec.source != "onnx":
        return spec.default_resolution, spec.default_resolution
    from infercost.models.onnx_file import file_resolution

    size = file_resolution(spec.path)
    if size is None:
        raise UsageError(f"{spec.path} has a dynamic height and width: pass --resolution")
    return size


def expand(models: list[str], backends: list[str], devices: list[str], precisions: list[str],
           batches: list[int], resolutions: list[str] | None, channels_last: bool = False) -> list[Case]:
    """Every combination, validated up front so that bad input fails before anything runs."""
    for what, given in (("model", models), ("backend", backends), ("device", devices), ("precision", precisions)):
        if not given:
            raise UsageError(f"no {what} given")
    for backend in backends:
        backend_class(backend)
    for device in devices:
        validate_device(device)
    for precision in precisions:
        if precision not in PRECISIONS:
            raise UsageError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    check_cases(len(models) * len(backends) * len(devices) * len(precisions) * len(batches)
                * max(1, len(resolutions or [])), "the grid")
    cases = []
    for model in models:
        spec = resolve_model(model)
        sizes = [parse_resolution(r) for r in resolutions] if resolutions else [default_size(spec)]
        for backend, device, precision, batch, (height, width) in itertools.product(
                backends, devices, precisions, batches, sizes):
            cases.append(Case(model=model, backend=backend, device=device, precision=precision,
                              batch_size=batch, height=height, width=width, channels_last=channels_last))
    return cases


@dataclass(frozen=True)
class Grid:
    """The points of a bench: every combination of these lists (resolutions empty: each model's own size)."""

    models: tuple[str, ...]
    backends: tuple[str, ...] = ("torch",)
    devices: tuple[str, ...] = ("cpu",)
    precisions: tuple[str, ...] = ("fp32",)
    batches: tuple[int, ...] = (1,)
    resolutions: tuple[str, ...] = ()
    channels_last: bool = False

    @property
    def auto(self) -> bool:
        """Whether the stack is to be chosen (--backend auto or --precision auto)."""
        return self.backends == ("auto",) or self.precisions == ("auto",)

    def cases(self) -> list[Case]:
        """Every point, validated; under auto, torch fp32 stands in until the stack is chosen."""
        backends = ["torch"] if self.auto else list(self.backends)
        precisions = ["fp32"] if self.auto else list(self.precisions)
        return expand(list(self.models), backends, list(self.devices), precisions, list(self.batches),
                      list(self.resolutions) or None, self.channels_last)


def single_case(model: str, backend: str = "torch", device: str = "cpu", precision: str = "fp32",
                resolution: str | None = None, batch: int = 1) -> Case:
    """One validated case, as a command that serves or profiles a single stack names it."""
    return expand([model], [backend], [device], [precision], [batch], [resolution] if resolution else None)[0]
