"""A latency-by-batch curve from measurements: interpolated between measured batch sizes, never silently beyond."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from infercost.errors import UsageError


@dataclass
class LatencyCurve:
    """Median latency per measured batch size, with the raw samples where known (for empirical service times)."""

    batches: list[int]
    latencies_s: list[float]
    samples_s: dict[int, list[float]] = field(default_factory=dict)
    label: str = ""
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

    def service_sampler(self, up_to: int, rng: np.random.Generator):
        """Per batch size, a function drawing a service time: measured samples scaled to the interpolated
        median where samples exist at a neighbouring size, else the deterministic curve."""
        ratios: dict[int, np.ndarray] = {}
        for batch, samples in self.samples_s.items():
            if samples:
                arr = np.asarray(samples, dtype=float)
                ratios[batch] = arr / np.median(arr)
        if not ratios:
            return None
        measured = sorted(ratios)
        nearest = {b: ratios[min(measured, key=lambda m: abs(m - b))] for b in range(1, up_to + 1)}
        return nearest


def curve_from_points(points: Sequence[tuple[int, float]], label: str = "") -> LatencyCurve:
    return LatencyCurve([p[0] for p in points], [p[1] for p in points], label=label)
