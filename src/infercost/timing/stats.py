"""Statistics as pure functions of raw samples; nothing here measures anything.

Core layer (timing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel

Z95 = 1.959963984540054


class Stats(BaseModel):
    n: int
    mean_s: float
    median_s: float
    stdev_s: float
    min_s: float
    max_s: float
    p90_s: float
    p95_s: float
    p99_s: float
    ci95_low_s: float
    ci95_high_s: float

    @property
    def cv(self) -> float:
        """Coefficient of variation: stdev over mean."""
        return self.stdev_s / self.mean_s if self.mean_s > 0 else 0.0

    def headline_s(self, method: str | None) -> float:
        """The headline latency: the median, or for the classic 'seed' procedure the mean of its ten calls."""
        return self.mean_s if method == "seed" else self.median_s


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted samples; q in [0, 100]."""
    if not ordered:
        raise ValueError("no samples")
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(samples: Sequence[float]) -> float:
    """The median of unsorted samples (interpolated between the middle two, as numpy does)."""
    return percentile(sorted(samples), 50)


def median_ci(ordered: Sequence[float]) -> tuple[float, float]:
    """Distribution-free 95% confidence interval of the median from order statistics (normal approximation)."""
    n = len(ordered)
    half = Z95 * math.sqrt(n) / 2.0
    low = max(0, math.floor(n / 2.0 - half) - 1)
    high = min(n - 1, math.ceil(n / 2.0 + half))
    return ordered[low], ordered[high]


def summarize(samples: Sequence[float]) -> Stats:
    ordered = sorted(samples)
    n = len(ordered)
    mean = sum(ordered) / n
    stdev = math.sqrt(sum((x - mean) ** 2 for x in ordered) / (n - 1)) if n > 1 else 0.0
    low, high = median_ci(ordered)
    return Stats(n=n, mean_s=mean, median_s=percentile(ordered, 50), stdev_s=stdev, min_s=ordered[0],
                 max_s=ordered[-1], p90_s=percentile(ordered, 90), p95_s=percentile(ordered, 95),
                 p99_s=percentile(ordered, 99), ci95_low_s=low, ci95_high_s=high)


def ci_within(ordered: Sequence[float], rel: float) -> bool:
    """True when the median's 95% CI lies within +-rel of the median."""
    median = percentile(ordered, 50)
    low, high = median_ci(ordered)
    return median > 0 and median - low <= rel * median and high - median <= rel * median
