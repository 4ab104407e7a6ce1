"""Capacity under a latency target: the highest rate a replica sustains, the best policy, replicas for a rate.

Domain layer (serving).
"""

from __future__ import annotations

import numpy as np

from infercost.pricing.cost import instances_needed
from infercost.serving.arrivals import STEADY, arrivals
from infercost.serving.curve import LatencyCurve
from infercost.serving.policy import Policy
from infercost.serving.simulator import SimResult, simulate

SEARCH_REQUESTS = 20_000
_SIZED: dict[tuple, object] = {}  # replicas_for's and max_rate_under_slo's answers in this process, by what they read


def _unit_arrivals(requests: int, seed: int, traffic: str) -> np.ndarray:
    """Arrivals at a mean rate of 1: dividing by a rate gives that rate with the same random numbers, so the
    search over rates compares like with like."""
    return arrivals(traffic, 1.0, requests, seed=seed)


def served_at(curve: LatencyCurve, policy: Policy, rate: float, *, slo_s: float, percentile: float, replicas: int,
              unit: np.ndarray) -> SimResult:
    """The simulated service of unit-rate arrivals sped up to `rate`; its slo_met says whether the target held."""
    return simulate(unit / rate, curve, policy, replicas=replicas, slo_s=slo_s, percentile=percentile)


def max_rate_under_slo(curve: LatencyCurve, policy: Policy, slo_s: float, *, percentile: float = 99.0,
                       replicas: int = 1, requests: int = SEARCH_REQUESTS, traffic: str = STEADY) -> float:
    """The highest mean rate of this traffic shape whose latency percentile stays under the target (0 if none), by
    bisection. Remembered for the process, as replicas_for is (best_policy and serving_plan ask the same)."""
    if curve.latency(1) > slo_s:
        return 0.0
    key = ("rate", curve.key(), policy, slo_s, percentile, replicas, requests, traffic)
    if key not in _SIZED:
        _SIZED[key] = _highest_rate(curve, policy, slo_s, percentile, replicas, requests, traffic)
    return _SIZED[key]


def _highest_rate(curve: LatencyCurve, policy: Policy, slo_s: float, percentile: float, replicas: int, requests: int,
                  traffic: str) -> float:
    unit = _unit_arrivals(requests, 0, traffic)
    high = replicas * curve.best_throughput(policy.max_batch)
    low = 0.0
    for _ in range(22):
        mid = (low + high) / 2
        if served_at(curve, policy, mid, slo_s=slo_s, percentile=percentile, replicas=replicas, unit=unit).slo_met:
            low = mid
        else:
            high = mid
        if high - low < 1e-2 * high:  # 1%: finer moves no answer the report or recommend gives
            break
    return low


def default_policies(curve: LatencyCurve, slo_s: float) -> list[Policy]:
    """Batch-1, and dynamic batching up to each measured batch size with a few queue delays under the target."""
    policies = [Policy.none()]
    for batch in curve.batches:
        if batch > 1:
            policies += [Policy(batch, delay) for delay in (0.0, slo_s / 10, slo_s / 4)]
    return policies


def best_policy(curve: LatencyCurve, slo_s: float, percentile: float = 99.0,
                *, policies: list[Policy] | None = None, traffic: str = STEADY) -> list[tuple[Policy, float]]:
    """Every policy with its capacity under this traffic shape, best first."""
    found = [(p, max_rate_under_slo(curve, p, slo_s, percentile=percentile, traffic=traffic))
             for p in policies or default_policies(curve, slo_s)]
    return sorted(found, key=lambda pair: -pair[1])


def replicas_for(curve: LatencyCurve, policy: Policy, rate: float, *, slo_s: float, percentile: float = 99.0,
                 requests: int = SEARCH_REQUESTS, limit: int = 10_000,
                 traffic: str = STEADY) -> tuple[int, SimResult] | None:
    """The fewest replicas that serve `rate` with the percentile under the target (None: impossible): from the
    full-load bound, grown by half until the target holds, then bisected (more replicas never serve slower).
    Remembered for the process: a catalog's instances share devices, and so curves, many times over."""
    if curve.latency(1) > slo_s:
        return None
    key = (curve.key(), policy, rate, slo_s, percentile, requests, limit, traffic)
    if key not in _SIZED:
        if len(_SIZED) > 50_000:
            _SIZED.clear()
        _SIZED[key] = _fewest_replicas(curve, policy, rate, slo_s, percentile, requests, limit, traffic)
    return _SIZED[key]


def _fewest_replicas(curve: LatencyCurve, policy: Policy, rate: float, slo_s: float, percentile: float,
                     requests: int, limit: int, traffic: str) -> tuple[int, SimResult] | None:
    unit = _unit_arrivals(requests, 0, traffic)

    def at(replicas: int) -> SimResult:
        return served_at(curve, policy, rate, slo_s=slo_s, percentile=percentile, replicas=replicas, unit=unit)

    low = instances_needed(curve.best_throughput(policy.max_batch), qps=rate) - 1  # the full-load bound, less one
    high = low + 1
    found = at(high) if high <= limit else None
    if found is not None and not found.slo_met and not at(min(limit, len(unit))).slo_met:
        return None  # not even a replica per request (no queue at all) meets it: the service alone is too slow
    while found is not None and not found.slo_met:
        low, high = high, high + max(1, high // 2)
        found = at(high) if high <= limit else None
    if found is None:
        return None
    while high - low > 1:  # low misses (or is below the bound), high meets
        mid = (low + high) // 2
        tried = at(mid)
        low, high, found = (low, mid, tried) if tried.slo_met else (mid, high, found)
    return high, found
