"""A latency-by-batch curve from measurements: interpolated between measured batch sizes, never silently beyond.

Domain layer (serving).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from infercost.errors import UsageError
from infercost.results.record import Record
from infercost.timing.stats import median


@dataclass
class LatencyCurve:
    """Median latency per measured batch size, with the raw samples where known (for empirical service times)."""

    batches: list[int]
    latencies_s: list[float]
    samples_s: dict[int, list[float]] = field(default_factory=dict)
    label: str = ""
    # The stack the points were measured on, where a curve comes from records (curve_from_records): read these,
    # never the label, which is for display.
    backend: str | None = None
    precision: str | None = None
    device: str | None = None
    # Service times after the server sat idle, where measured: a call after a gap is slower than back to back.
    after_idle: LatencyCurve | None = None

    def __post_init__(self) -> None:
        if not self.batches:
            raise UsageError("a latency curve needs at least one measured batch size")
        order = sorted(range(len(self.batches)), key=lambda i: self.batches[i])
        self.batches = [self.batches[i] for i in order]
        self.latencies_s = [self.latencies_s[i] for i in order]
        if any(t <= 0 for t in self.latencies_s):
            raise UsageError("latencies must be positive")

    @classmethod
    def from_samples(cls, samples: dict[int, list[float]], label: str = "") -> LatencyCurve:
        """Each batch size's median as its latency; the samples kept for the simulator's service times."""
        return cls(list(samples), [median(s) for s in samples.values()], {b: list(s) for b, s in samples.items()},
                   label=label)

    def key(self) -> tuple:
        """What the simulator reads of this curve, as a hashable value: equal keys serve alike."""
        samples = tuple((b, tuple(s)) for b, s in sorted(self.samples_s.items()))
        return (tuple(self.batches), tuple(self.latencies_s), samples,
                self.after_idle.key() if self.after_idle is not None else None)

    @property
    def max_batch(self) -> int:
        return self.batches[-1]

    def extrapolates(self, batch: int) -> bool:
        return batch > self.max_batch

    def latency(self, batch: int) -> float:
        """Linear between measured sizes; below the smallest, the smallest; above the largest, the last slope."""
        b, t = self.batches, self.latencies_s
        if batch <= b[0]:
            return t[0]
        i = bisect.bisect_left(b, batch)
        if i < len(b) and b[i] == batch:
            return t[i]
        if i == len(b):  # extrapolation: callers check extrapolates() and say so
            if len(b) == 1:
                return t[0] * batch / b[0]
            i = len(b) - 1
        x0, x1, y0, y1 = b[i - 1], b[i], t[i - 1], t[i]
        return y0 + (y1 - y0) * (batch - x0) / (x1 - x0)

    def table(self, up_to: int) -> np.ndarray:
        """Latency for batch 0..up_to as an array (index = batch size)."""
        return np.array([0.0] + [self.latency(b) for b in range(1, up_to + 1)])

    def throughput(self, batch: int) -> float:
        return batch / self.latency(batch)

    def best_throughput(self, up_to: int | None = None) -> float:
        return max(self.throughput(b) for b in range(1, (up_to or self.max_batch) + 1))

    def service_ratios(self, up_to: int) -> dict[int, np.ndarray] | None:
        """Per batch size up to `up_to`, the measured samples of the nearest measured size over their median: the
        simulator scales the interpolated latency by a ratio drawn from these. None: no samples, a fixed curve."""
        ratios: dict[int, np.ndarray] = {}
        for batch, samples in self.samples_s.items():
            if samples:
                arr = np.asarray(samples, dtype=float)
                ratios[batch] = arr / median(arr)
        if not ratios:
            return None
        measured = sorted(ratios)
        nearest = {b: ratios[min(measured, key=lambda m: abs(m - b))] for b in range(1, up_to + 1)}
        return nearest


def curve_from_records(records: list[Record], model: str, stack: str | None = None, *, device: str | None = None,
                       resolution: tuple[int, int] | None = None, seq: int | None = None) -> LatencyCurve:
    """This model's latency-by-batch curve for one stack and size (default: the fastest batch-1 stack at the size
    the model is served at, `served_size`)."""
    ok = forward_records(records, model, device)
    if not ok:
        raise UsageError(f"no ok results for model {model!r} in these results")
    if stack:
        backend, _, precision = stack.partition(":")
        ok = [r for r in ok if r.backend == backend and (not precision or r.precision == precision)]
        if not ok:
            raise UsageError(f"no ok results for {model} on stack {stack}; use backend:precision as recorded")
    matching = [r for r in ok if (not resolution or (r.height, r.width) == tuple(resolution))
                and (seq is None or r.tokens == seq)]
    if not matching:
        asked = f"seq {seq}" if seq is not None else f"{resolution[1]}x{resolution[0]}"
        raise UsageError(f"no results for {model} at {asked}")
    size = served_size(matching, model)
    ok = [r for r in matching if _size_key(r) == size]
    by_stack = defaultdict(dict)
    for r in ok:
        by_stack[(r.backend, r.precision, r.device)][r.batch_size] = r
    chosen = min(by_stack, key=lambda k: min(r.latency_s for b, r in by_stack[k].items()))
    points = by_stack[chosen]
    label = f"{model} {chosen[0]} {chosen[1]} {chosen[2]} " + (size[2].split(",")[0] or f"{size[1]}x{size[0]}")
    return LatencyCurve(list(points), [points[b].latency_s for b in points],
                        {b: list(points[b].samples_s) for b in points}, label=label, backend=chosen[0],
                        precision=chosen[1], device=chosen[2])


def forward_records(records: list[Record], model: str, device: str | None = None) -> list[Record]:
    """The model's ok forward-pass records (generation records have a curve of their own), on `device` if named."""
    return [r for r in records if r.ok and r.model == model and r.latency_s and not r.generation
            and (device is None or r.device == device)]


def served_size(records: list[Record], model: str) -> tuple[int | None, int | None, str]:
    """The size a model is served at, as (height, width, dims): the size measured most often among its forward-pass
    records; between sizes measured as often (a ladder), the model's own default size where it is one of them,
    else the middle one. One rule for the answer, recommend, the curve and the pay-per-use price."""
    counts = defaultdict(int)
    for r in forward_records(records, model):
        counts[_size_key(r)] += 1
    if not counts:
        return (None, None, "")
    most = max(counts.values())
    tied = sorted((s for s, n in counts.items() if n == most), key=_extent)
    default = _default_size(model)
    return default if default in tied else tied[(len(tied) - 1) // 2]


def size_seq(size: tuple[int | None, int | None, str]) -> int | None:
    """The sequence length a served size binds (None for an image size)."""
    from infercost.case import parse_dims
    from infercost.inputs import lookup

    return lookup("seq", parse_dims(size[2])) if size[2] else None


def _default_size(model: str) -> tuple[int | None, int | None, str] | None:
    from infercost.errors import InfercostError
    from infercost.models import resolve_model

    try:
        spec = resolve_model(model)
    except (InfercostError, OSError, ImportError):
        return None  # a module registered in another process, a file since moved: no default to prefer
    if spec.tokens:
        return (None, None, f"seq={spec.default_seq}")
    return (spec.default_resolution, spec.default_resolution, "")


def _extent(size: tuple[int | None, int | None, str]) -> tuple[int, int]:
    return ((size[0] or 0) * (size[1] or 0), size_seq(size) or 0)


def _size_key(record: Record) -> tuple[int, int, str]:
    """A point's size: its resolution and its bound dimensions (a token model's sequence length)."""
    return record.height, record.width, str(record.options.get("dims") or "")
