"""Linear fits of latency against batch size and against megapixels, per model and stack.

The slope is the marginal cost of one more image (s/image) or one more megapixel (s/MP); the intercept is the
fixed cost of a call. R^2 says how straight the line is.

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
    x: str  # "batch_size" or "megapixels"
    fixed: str  # what was held fixed, e.g. "224x224" or "batch 1"
    intercept_s: float
    slope_s: float
    r2: float
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
        if not r.ok or not r.latency_s:
            continue
        stack = (r.model, r.backend, r.device, r.precision, r.env.get("node_kind"))
        by_batch[stack + (f"{r.width}x{r.height}",)].append(r)
        by_area[stack + (f"batch {r.batch_size}",)].append(r)
    found = []
    for groups, axis in ((by_batch, "batch_size"), (by_area, "megapixels")):
        for (model, backend, device, precision, node_kind, fixed), group in groups.items():
            xs = [float(r.batch_size) if axis == "batch_size" else r.megapixels for r in group]
            if len(set(xs)) < 3:
                continue
            intercept, slope, r2 = linear_fit(xs, [r.latency_s for r in group])
            found.append(Fit(model=model, backend=backend, device=device, precision=precision, x=axis, fixed=fixed,
                             intercept_s=intercept, slope_s=slope, r2=r2, points=len(group), node_kind=node_kind))
    return found
