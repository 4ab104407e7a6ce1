"""Sporadic load: a few requests a day, arriving in bursts, and what it costs to serve them three ways.

Domain layer (serving). The model of the load: `requests_per_day` arrive in bursts of `burst` requests; a burst's
requests come close together and are served one after another at batch 1; bursts are further apart than the time
an idle server is kept before it is stopped (`keep_s`), so each burst starts cold when a server scales to zero.

- warm: one instance kept running all month (the steady-load bill of one instance).
- scale to zero: an instance started for each burst; billed for the cold start (`load_s` + `cold_start_s` measured
  here), the burst's requests, and `keep_s` of idle time before it stops. The first request of each burst waits for
  the cold start.
- pay per use: a serverless plan billed per request and per second of CPU and memory (pricing.pay_per_use), the cold
  start billed as duration.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost import limits
from infercost.pricing.cost import HOURS_PER_MONTH, monthly_cost

DAYS_PER_MONTH = HOURS_PER_MONTH / 24


@dataclass(frozen=True)
class SporadicLoad:
    requests_per_day: float = 2_000.0
    burst: int = 20  # requests per burst
    keep_s: float = 60.0  # how long an idle server is kept before it scales to zero

    def __post_init__(self) -> None:
        limits.REQUESTS_PER_DAY.check("requests per day", self.requests_per_day)
        limits.BURST.check("burst size", self.burst)
        limits.KEEP_S.check("keep-alive (s)", self.keep_s)

    @property
    def requests_per_month(self) -> float:
        return self.requests_per_day * DAYS_PER_MONTH

    @property
    def bursts_per_month(self) -> float:
        return self.requests_per_month / self.burst

    @property
    def cold_fraction(self) -> float:
        """The share of requests that meet a cold server when it scales to zero: the first of each burst."""
        return 1.0 / self.burst

    def describe(self) -> str:
        return (f"{self.requests_per_day:,.0f} requests a day in bursts of {self.burst}, an idle server kept "
                f"{self.keep_s:g} s")


def warm_monthly(price_per_hour: float) -> float:
    """One instance kept running all month."""
    return monthly_cost(price_per_hour, 1)


def scale_to_zero_monthly(load: SporadicLoad, price_per_hour: float, latency_s: float, *, cold_s: float) -> float:
    """One instance started for each burst, never more than the warm bill (it then simply stays up)."""
    billed_s = load.bursts_per_month * (cold_s + load.burst * latency_s + load.keep_s)
    return min(billed_s * price_per_hour / 3600, warm_monthly(price_per_hour))


def break_even_per_day(load: SporadicLoad, latency_s: float, cold_s: float) -> float:
    """The requests a day (in the same bursts) above which keeping the instance warm is cheaper than scaling to zero:
    where the bursts' billed time fills the day."""
    per_burst_s = cold_s + load.burst * latency_s + load.keep_s
    return 86_400 / per_burst_s * load.burst
