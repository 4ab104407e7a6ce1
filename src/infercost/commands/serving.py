"""`infercost simulate`: serving a request stream from measured latencies under a latency target, and its cost.

Command layer: thin entry points over serving/ and pricing/ that a Python caller can use as the CLI does.
"""

from __future__ import annotations

import numpy as np

from infercost import limits
from infercost.commands.result_types import GenerationServed, StreamServed
from infercost.errors import UsageError
from infercost.generation.kv import kv_cache_tokens
from infercost.layers import BYTES
from infercost.pricing.cost import cost_per_request, monthly_cost
from infercost.serving import LatencyCurve, Policy, simulate
from infercost.serving.capacity import best_policy, max_rate_under_slo, replicas_for
from infercost.serving.continuous import Budget, GenerationTarget, fit_step_cost, serve_generation
from infercost.serving.target import ServingTarget

SIM_REQUESTS = 200_000


def serving_plan(curve: LatencyCurve, policy: Policy, target: ServingTarget, *, price_per_hour: float | None,
                 arrivals: np.ndarray, replicas: int | None) -> dict:
    """One policy at one rate: the simulated latencies, capacity per replica, replicas needed and the bill."""
    slo_s, percentile = target.require_slo(), target.percentile
    max_qps = max_rate_under_slo(curve, policy, slo_s, percentile=percentile, traffic=target.traffic)
    needed = replicas_for(curve, policy, target.qps, slo_s=slo_s, percentile=percentile, traffic=target.traffic) \
        if replicas is None else None
    count = replicas or (needed[0] if needed else None)
    result = simulate(arrivals, curve, policy, replicas=count or 1, slo_s=slo_s, percentile=percentile)
    monthly = monthly_cost(price_per_hour, count) if (count and price_per_hour) else None
    return {
        "policy": policy.name, "qps": target.qps, "p50_s": result.p50_s, "p90_s": result.p90_s,
        "p99_s": result.p99_s, "max_s": result.max_s, "throughput_per_s": result.throughput_per_s,
        "utilization": result.utilization, "mean_queue_length": result.mean_queue_length,
        "mean_batch": result.mean_batch, "slo_s": slo_s, "percentile": percentile, "slo_met": result.slo_met,
        "over_slo_fraction": result.over_slo_fraction, "max_qps_under_slo": max_qps, "replicas": count,
        "feasible": count is not None and bool(result.slo_met), "monthly_cost_usd": monthly,
        "cost_per_inference_usd": cost_per_request(monthly, target.qps) if monthly else None,
        "extrapolated": result.extrapolated, "curve": curve.label,
        "reason": None if count else f"batch-1 latency {curve.latency(1) * 1e3:.1f} ms is over the target"
        if curve.latency(1) > slo_s else None,
    }


def compare_policies(curve: LatencyCurve, target: ServingTarget, price_per_hour: float | None,
                     *, arrivals: np.ndarray, dynamic: Policy | None) -> list[dict]:
    """Batch-1 serving against dynamic batching (the given policy, or the best one found), side by side."""
    if dynamic is None:
        found = best_policy(curve, target.slo_s, target.percentile, traffic=target.traffic)
        ranked = [p for p, _ in found if p.max_batch > 1]
        dynamic = ranked[0] if ranked else None
    policies = [Policy.none()] + ([dynamic] if dynamic else [])
    return [serving_plan(curve, p, target, price_per_hour=price_per_hour, arrivals=arrivals,
                         replicas=None) for p in policies]


def simulate_stream(curve: LatencyCurve, target: ServingTarget, policy: Policy, *, replicas: int | None = None,
                    price_per_hour: float | None = None, requests: int = SIM_REQUESTS,
                    instance: str | None = None) -> StreamServed:
    """The stream served with `policy` (replicas fixed, or the fewest that meet the target), and batch-1 against
    dynamic batching beside it."""
    if replicas is not None:
        limits.REPLICAS.check("replicas", replicas)
    arrivals = target.arrivals(requests)
    main = serving_plan(curve, policy, target, price_per_hour=price_per_hour, arrivals=arrivals, replicas=replicas)
    if policy.max_batch > 1 and policy.max_batch > curve.max_batch:
        main["warning"] = (f"max batch {policy.max_batch} is beyond the largest measured batch "
                           f"({curve.max_batch}): latencies there are extrapolated")
    comparison = compare_policies(curve, target, price_per_hour, arrivals=arrivals,
                                  dynamic=policy if policy.max_batch > 1 else None)
    return StreamServed(**main, comparison=comparison, instance=instance)


def kv_budget_tokens(records, memory_bytes: int | None = None) -> int:
    """KV-cache tokens one replica holds: the memory given, else the measured machine's (its GPU's, else its RAM),
    less the weights and generation.kv.KV_HEADROOM kept free, over the cache bytes a token takes (from the records)."""
    points = [r for r in records if r.ok and r.generation and r.generation.get("kv_cache_bytes")]
    if not points:
        raise UsageError("no ok generation records (bench with --output-len first)")
    r = points[0]
    per_token = r.generation["kv_cache_bytes"] / (r.batch_size * (r.generation["prompt_tokens"]
                                                                  + r.generation["output_tokens"]))
    if memory_bytes is None:
        gpus = r.env.get("gpus") or []
        memory_bytes = (gpus[0].get("memory_bytes") if gpus and r.device.startswith("cuda") else None) \
            or r.env.get("ram_bytes")
    if not memory_bytes:
        raise UsageError("the records don't say how much memory the machine has: pass --kv-budget SIZE")
    weights = (r.params or 0) * BYTES.get(r.precision, 4)
    tokens = kv_cache_tokens(memory_bytes, weights, per_token)
    if tokens < 1:
        raise UsageError(f"the weights ({weights / 2**30:.1f} GiB) leave no room for a KV cache in "
                         f"{memory_bytes / 2**30:.1f} GiB")
    return tokens


def generation_stacks(records, model: str) -> list[list]:
    """The model's ok generation records, one group per stack (backend, precision, device), fastest TPOT first."""
    groups: dict[tuple, list] = {}
    for r in records:
        if r.model == model and r.ok and r.generation and r.generation.get("tpot_s"):
            groups.setdefault((r.backend, r.precision, r.device), []).append(r)
    return sorted(groups.values(), key=lambda g: min(r.generation["tpot_s"] for r in g))


def simulate_generation(records, model: str, target: GenerationTarget, *, price_per_hour: float | None = None,
                        kv_bytes: int | None = None, step_tokens: int = 2048, every_stack: bool = False):
    """The model's generation records fitted to a step cost, then the load served with continuous batching: on the
    stack with the fastest decode, or (every_stack) a list with one result per stack measured."""
    if not any(r.model == model and r.generation for r in records):
        raise UsageError(f"no generation records for {model} (bench it with --prompt-len and --output-len)")
    stacks = generation_stacks(records, model)
    if not stacks:
        raise UsageError(f"no ok generation records for {model}")
    found = []
    for stack in stacks if every_stack else stacks[:1]:
        r = stack[0]
        budget = Budget(kv_budget_tokens(stack, kv_bytes), step_tokens)
        found.append(GenerationServed(model=model, stack=f"{r.backend} {r.precision} ({r.device})",
                                      backend=r.backend, precision=r.precision, device=r.device,
                                      **serve_generation(fit_step_cost(stack), budget, target,
                                                         price_per_hour=price_per_hour)))
    return found if every_stack else found[0]
