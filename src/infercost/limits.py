"""The accepted range of every number a user gives, stated once: the CLI and Python callers check against the same.

A value outside its range (nan, inf, negative, or beyond a stated bound) is a UsageError naming the value and the
range. Work whose size follows from user input (arrivals, grids) is checked against a bound before anything is
allocated. Core layer: imports nothing of infercost but errors and the month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.errors import UsageError
from infercost.month import SECONDS_PER_MONTH


@dataclass(frozen=True)
class Bound:
    """A closed or half-open interval of accepted values; `integer` also refuses fractions."""

    low: float
    high: float
    low_open: bool = False
    integer: bool = False
    unit: str = ""

    def describe(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]" + (f" {self.unit}" if self.unit else "")

    def check(self, name: str, value: object) -> float | int:
        """The value as a number, or a UsageError that names it and the range."""
        kind = "a whole number" if self.integer else "a number"
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        inside = math.isfinite(number) and (number > self.low if self.low_open else number >= self.low) \
            and number <= self.high and (not self.integer or number == int(number))
        if not inside:
            raise UsageError(f"{name} must be {kind} in {self.describe()}, got {value!r}")
        return int(number) if self.integer else number


MAX_REQUESTS = 50_000_000  # arrivals in one simulation or load test
MAX_CASES = 100_000  # points in one bench grid or study plan

# Lower bounds are small positive numbers rather than zero: a rate, a latency or a price of 1e-320 is not zero, but
# its reciprocal overflows.
QPS = Bound(1e-6, 1e7, unit="requests/s")
MONTHLY_REQUESTS = Bound(1, 1e7 * SECONDS_PER_MONTH, unit="requests")
LATENCY_MS = Bound(1e-6, 3.6e6, unit="ms")
DELAY_MS = Bound(0, 6e4, unit="ms")
PERCENTILE = Bound(0, 99.999, low_open=True)
PRICE_PER_HOUR = Bound(1e-6, 1e5, unit="USD")
BATCH = Bound(1, 65_536, integer=True)
MAX_BATCH = Bound(1, 4_096, integer=True)
SERVED_BATCH = Bound(1, 256, integer=True)  # the load test loads one stack per batch size up to this
SIDE = Bound(1, 65_536, integer=True, unit="pixels")
DIM = Bound(1, 1 << 20, integer=True)  # a named input dimension (a sequence length, ...)
REPLICAS = Bound(1, 100_000, integer=True)
SEED = Bound(0, 2**32 - 1, integer=True)
BLOCKS = Bound(1, 100_000, integer=True)
TOP = Bound(1, 100_000, integer=True)
TP = Bound(1, 64, integer=True)  # accelerators one replica is split over
TIMEOUT_S = Bound(0, 7 * 86_400, low_open=True, unit="s")
TIME_S = Bound(0, 86_400, unit="s")
DURATION = Bound(0, 366 * 86_400, low_open=True, unit="s")
MEMORY = Bound(1, 2**50, unit="bytes")
REQUESTS_PER_DAY = Bound(1e-3, 1e7 * 86_400, unit="requests")  # sporadic load
BURST = Bound(1, 1_000_000, integer=True, unit="requests")
KEEP_S = Bound(0, 86_400, unit="s")
TOLERANCE = Bound(0, 1e6, low_open=True)


def check_requests(count: float, what: str) -> int:
    """Refuse work of more than MAX_REQUESTS arrivals before any is drawn."""
    if not math.isfinite(count) or count > MAX_REQUESTS:
        raise UsageError(f"{what} would be {count:.3g} requests; at most {MAX_REQUESTS:,} fit in one run "
                         f"(lower the rate or the duration)")
    return int(count)


def check_cases(count: int, what: str) -> int:
    if count > MAX_CASES:
        raise UsageError(f"{what} has {count:,} points; at most {MAX_CASES:,} fit in one run (split it)")
    return count
