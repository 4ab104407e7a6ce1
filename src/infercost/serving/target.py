"""What a served request stream must meet: a mean rate, a latency target at a percentile, and the traffic's shape.

Domain layer (serving). One object shared by simulate, recommend, loadtest and the report, validated once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from infercost import limits
from infercost.errors import UsageError
from infercost.pricing.cost import SECONDS_PER_MONTH
from infercost.serving.arrivals import STEADY, arrivals, traffic_shape


@dataclass(frozen=True)
class ServingTarget:
    qps: float
    slo_s: float | None  # None: no latency target (a load test that reports percentiles only)
    percentile: float = 99.0
    traffic: str = STEADY  # steady (Poisson), bursty, or a trace file

    def __post_init__(self) -> None:
        limits.QPS.check("request rate (qps)", self.qps)
        if self.slo_s is not None:
            limits.LATENCY_MS.check("latency target (ms)", self.slo_s * 1e3)
        limits.PERCENTILE.check("percentile", self.percentile)
        object.__setattr__(self, "traffic", traffic_shape(self.traffic))

    @classmethod
    def from_volume(cls, slo_s: float, qps: float | None = None, monthly_requests: float | None = None,
                    percentile: float = 99.0, traffic: str = STEADY) -> ServingTarget:
        """A target from a rate or from a monthly volume (exactly one of them): a month is month.HOURS_PER_MONTH."""
        if (qps is None) == (monthly_requests is None):
            raise UsageError("give one of a request rate (--qps) or a monthly volume (--monthly-requests)")
        if monthly_requests is not None:
            qps = limits.MONTHLY_REQUESTS.check("monthly requests", monthly_requests) / SECONDS_PER_MONTH
        return cls(qps, slo_s, percentile, traffic)

    def at_rate(self, qps: float) -> ServingTarget:
        return replace(self, qps=qps)

    def arrivals(self, count: int, seed: int = 0) -> np.ndarray:
        return arrivals(self.traffic, self.qps, count, seed=seed)

    def describe(self) -> str:
        shape = self.traffic if self.traffic in (STEADY, "bursty") else f"trace {self.traffic}"
        goal = f", p{self.percentile:g} under {self.slo_s * 1e3:.4g} ms" if self.slo_s is not None else ""
        return f"{self.qps:g} requests/s ({shape}){goal}"

    def require_slo(self) -> float:
        if self.slo_s is None:
            raise UsageError("a latency target is needed here (--slo-ms)")
        return self.slo_s
