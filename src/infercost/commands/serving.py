"""`infercost simulate` and `infercost loadtest`: serving a request stream under a latency target, and its cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from infercost import limits
from infercost.errors import UsageError
from infercost.pricing.cost import HOURS_PER_MONTH, SECONDS_PER_MONTH
from infercost.results import load_records
from infercost.serving import LatencyCurve, Policy, bursty, curve_from_records, poisson, read_trace, simulate
from infercost.serving.capacity import best_policy, max_rate_under_slo, replicas_for

SIM_REQUESTS = 200_000


def arrivals_for(kind: str, qps: float, requests: int, seed: int = 0) -> np.ndarray:
    if kind == "poisson":
        return poisson(qps, requests, seed)
    if kind == "bursty":
        return bursty(qps, requests, seed)
    if Path(kind).suffix in (".csv", ".txt") or Path(kind).exists():
        return read_trace(kind)
    raise UsageError(f"unknown arrivals {kind!r}; use poisson, bursty or a trace file")


def serving_plan(curve: LatencyCurve, policy: Policy, qps: float, slo_s: float, percentile: float,
                 price_per_hour: float | None, arrivals: np.ndarray, replicas: int | None) -> dict:
    """One policy at one rate: the simulated latencies, capacity per replica, replicas needed and the bill."""
    max_qps = max_rate_under_slo(curve, policy, slo_s, percentile)
    needed = replicas_for(curve, policy, qps, slo_s, percentile) if replicas is None else None
    count = replicas or (needed[0] if needed else None)
    result = simulate(arrivals, curve, policy, count or 1, slo_s, percentile)
    monthly = count * price_per_hour * HOURS_PER_MONTH if (count and price_per_hour) else None
    return {
        "policy": policy.name, "qps": qps, "p50_s": result.p50_s, "p90_s": result.p90_s, "p99_s": result.p99_s,
        "max_s": result.max_s, "throughput_per_s": result.throughput_per_s, "utilization": result.utilization,
        "mean_queue_length": result.mean_queue_length, "mean_batch": result.mean_batch, "slo_s": slo_s,
        "percentile": percentile, "slo_met": result.slo_met, "over_slo_fraction": result.over_slo_fraction,
        "max_qps_under_slo": max_qps, "replicas": count, "feasible": count is not None and bool(result.slo_met),
        "monthly_cost_usd": monthly,
        "cost_per_inference_usd": monthly / (qps * SECONDS_PER_MONTH) if monthly else None,
        "extrapolated": result.extrapolated, "curve": curve.label,
        "reason": None if count else f"batch-1 latency {curve.latency(1) * 1e3:.1f} ms is over the target"
        if curve.latency(1) > slo_s else None,
    }


def compare_policies(curve: LatencyCurve, qps: float, slo_s: float, percentile: float, price_per_hour: float | None,
                     arrivals: np.ndarray, dynamic: Policy | None) -> list[dict]:
    """Batch-1 serving against dynamic batching (the given policy, or the best one found), side by side."""
    if dynamic is None:
        ranked = [p for p, _ in best_policy(curve, slo_s, percentile) if p.max_batch > 1]
        dynamic = ranked[0] if ranked else None
    policies = [Policy.none()] + ([dynamic] if dynamic else [])
    return [serving_plan(curve, p, qps, slo_s, percentile, price_per_hour, arrivals, None) for p in policies]


def simulate_from_results(results: str, model: str, stack: str | None, qps: float, slo_ms: float,
                          percentile: float, batching: str, max_batch: int, max_delay_ms: float, arrivals_kind: str,
                          replicas: int | None, price_per_hour: float | None, device: str | None,
                          resolution: tuple[int, int] | None, requests: int = SIM_REQUESTS) -> dict:
    limits.QPS.check("qps", qps)
    limits.LATENCY_MS.check("latency target (ms)", slo_ms)
    limits.PERCENTILE.check("percentile", percentile)
    if replicas is not None:
        limits.REPLICAS.check("replicas", replicas)
    curve = curve_from_records(load_records(results), model, stack, device, resolution)
    policy = Policy.named(batching, max_batch, max_delay_ms / 1e3)
    arrivals = arrivals_for(arrivals_kind, qps, requests)
    main = serving_plan(curve, policy, qps, slo_ms / 1e3, percentile, price_per_hour, arrivals, replicas)
    if policy.max_batch > 1 and policy.max_batch > curve.max_batch:
        main["warning"] = (f"max batch {policy.max_batch} is beyond the largest measured batch "
                           f"({curve.max_batch}): latencies there are extrapolated")
    comparison = compare_policies(curve, qps, slo_ms / 1e3, percentile, price_per_hour, arrivals,
                                  policy if policy.max_batch > 1 else None)
    return {**main, "comparison": comparison}
