"""Fits of latency against batch size and against the model's own size axis (megapixels, or tokens), per stack.

The slope is the marginal cost of one more image (s/image), megapixel (s/MP) or token (s/token); the intercept is
the fixed cost of a call. R^2 says how straight the line is. Attention makes a sequence's cost superlinear: where a
quadratic term raises R^2 by more than 0.01 (with four lengths or more, and bending upward) it is reported, and the
fit says so.

Domain layer (study).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel

from infercost.results.record import Record


class Fit(BaseModel):
    model: str
    backend: str
    device: str
    precision: str
    x: str  # "batch_size", "megapixels" or "tokens"
    fixed: str  # what was held fixed, e.g. "224x224", "seq 128" or "batch 1"
    intercept_s: float
    slope_s: float
    r2: float
    quadratic_s: float | None = None  # s per token^2, where it improves the fit (the linear terms are refitted)
    linear_r2: float | None = None  # R^2 of the straight line, when the quadratic is reported
    points: int
    node_kind: str | None = None  # the cluster node kind measured, when the study ran on a cluster


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(intercept, slope, R^2) by least squares; pure, no numpy needed for a handful of points."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return mean_y, 0.0, 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return intercept, slope, 1 - ss_res / ss_tot if ss_tot > 0 else 1.0


def fits(records: Iterable[Record]) -> list[Fit]:
    """Latency vs batch at each fixed resolution, and latency vs megapixels at each fixed batch (3+ points)."""
    by_batch: dict[tuple, list[Record]] = defaultdict(list)
    by_area: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        if not r.ok or not r.latency_s or r.generation:  # a generation's end-to-end time is no forward pass
            continue
        stack = (r.model, r.backend, r.device, r.precision, r.env.get("node_kind"))
        by_batch[stack + (r.size_label,)].append(r)
        by_area[stack + (f"batch {r.batch_size}", "tokens" if r.tokens else "megapixels")].append(r)
    found = []
    for key, group in by_batch.items():
        found += _fit(group, "batch_size", [float(r.batch_size) for r in group], key[-1])
    for key, group in by_area.items():
        found += _fit(group, key[-1], [r.size for r in group], key[-2])
    return found


def _fit(group: list[Record], axis: str, xs: list[float], fixed: str) -> list[Fit]:
    if len(set(xs)) < 3:
        return []
    first, ys = group[0], [r.latency_s for r in group]
    intercept, slope, r2 = linear_fit(xs, ys)
    extra = {}
    if axis == "tokens" and len(set(xs)) >= 4:
        import numpy as np

        c2, c1, c0 = np.polyfit(xs, ys, 2)
        residual = sum((y - (c0 + c1 * x + c2 * x * x)) ** 2 for x, y in zip(xs, ys, strict=True))
        total = sum((y - sum(ys) / len(ys)) ** 2 for y in ys)
        quadratic_r2 = 1 - residual / total if total > 0 else 1.0
        if c2 > 0 and quadratic_r2 > r2 + 0.01:  # a bend the other way is noise, not attention
            extra = {"quadratic_s": float(c2), "linear_r2": r2}
            intercept, slope, r2 = float(c0), float(c1), quadratic_r2
    return [Fit(model=first.model, backend=first.backend, device=first.device, precision=first.precision, x=axis,
                fixed=fixed, intercept_s=intercept, slope_s=slope, r2=r2, points=len(group),
                node_kind=first.env.get("node_kind"), **extra)]
