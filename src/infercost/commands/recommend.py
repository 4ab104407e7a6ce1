"""`infercost recommend`: every catalog instance as a candidate, measured where results exist, predicted elsewhere;
the cheapest way to serve a request stream under a latency target, and what would change the answer."""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost import limits
from infercost.commands.predict import calibration
from infercost.errors import UsageError
from infercost.predict.profile import profile_model
from infercost.predict.roofline import DEFAULT_ERROR, DeviceSpec, predict
from infercost.pricing.catalog import Catalog, Instance
from infercost.pricing.cost import HOURS_PER_MONTH, SECONDS_PER_MONTH
from infercost.results import Record, load_records, machine_id
from infercost.serving import LatencyCurve, Policy, curve_from_records
from infercost.serving.capacity import replicas_for

BATCHES = (1, 2, 4, 8)
REQUESTS = 4_000  # per simulated run while sizing: enough for a p99, fast enough for a whole catalog


@dataclass(frozen=True)
class Ask:
    model: str
    height: int | None
    width: int | None
    slo_s: float
    percentile: float
    qps: float
    precisions: tuple[str, ...]
    spot: bool
    traffic: str = "steady"  # steady (Poisson), bursty, or a trace file


def _policies(slo_s: float) -> list[Policy]:
    return [Policy.none(), Policy(8, slo_s / 10)]


def _size(curve: LatencyCurve, ask: Ask, per_instance: int, price: float) -> dict | None:
    """The cheapest policy for this curve: replicas, whole instances, p99 and the bill; None if none meets it."""
    best = None
    for policy in _policies(ask.slo_s):
        found = replicas_for(curve, policy, ask.qps, ask.slo_s, ask.percentile, requests=REQUESTS,
                             traffic=ask.traffic)
        if not found:
            continue
        replicas, result = found
        instances = math.ceil(replicas / per_instance)
        monthly = instances * price * HOURS_PER_MONTH
        row = {"batch_policy": policy.name, "replicas": instances, "p99_s": result.p99_s, "monthly_cost_usd": monthly,
               "cost_per_inference_usd": monthly / (ask.qps * SECONDS_PER_MONTH)}
        if best is None or monthly < best["monthly_cost_usd"]:
            best = row
    return best


def _predicted(instance: Instance, catalog: Catalog, ask: Ask, results: str | None) -> dict:
    row = {"instance": instance.name, "provider": instance.provider,
           "accelerator": instance.accelerator or f"CPU: {instance.cpu}", "source": "predicted", "feasible": False}
    found = DeviceSpec.from_instance(catalog, instance)
    if found is None:
        return {**row, "reason": "no accelerator or CPU figures in the catalog"}
    device, count = found
    reasons, options = [], []
    for precision in ask.precisions:
        eff, band, _ = calibration(results, catalog, device.kind, precision, None)
        predictions = [predict(profile_model(ask.model, b, ask.height, ask.width, precision), device, eff, 1,
                               band or DEFAULT_ERROR) for b in BATCHES]
        if not predictions[0].supported:
            reasons.append(f"{precision}: {predictions[0].note}")
            continue
        fitting = [(b, p) for b, p in zip(BATCHES, predictions, strict=True) if p.fits_in_memory is not False]
        if not fitting:
            reasons.append(f"{precision}: out of memory even at batch 1")
            continue
        curve = LatencyCurve([b for b, _ in fitting], [p.latency_s for _, p in fitting])
        if curve.latency(1) > ask.slo_s:
            reasons.append(f"{precision}: too slow even at batch 1 ({curve.latency(1) * 1e3:.1f} ms predicted)")
            continue
        sized = _size(curve, ask, count, instance.price(ask.spot))
        if sized:
            options.append({**sized, "precision": precision, "stack": f"roofline ({predictions[0].efficiency})",
                            "error_band": band if band is not None else DEFAULT_ERROR})
    if not options:
        return {**row, "reason": "; ".join(reasons) or "no policy meets the target at this rate"}
    return {**row, **min(options, key=lambda o: o["monthly_cost_usd"]), "feasible": True, "reason": None}


def _measured(records: list[Record], priced: tuple[str, float] | None, ask: Ask, catalog: Catalog) -> dict | None:
    """One measured machine (this one, or a cluster node kind) as a candidate; None if it never ran this model."""
    try:
        curve = curve_from_records(records, ask.model, resolution=(ask.height, ask.width) if ask.height else None)
    except UsageError:
        return None
    env = records[0].env
    parts = curve.label.split()
    where = env.get("node_kind") or env.get("host") or "this machine"
    name = priced[0] if priced else where
    provider = catalog.instances[name].provider if name in catalog.instances else "measured machine"
    row = {"instance": name, "provider": provider, "accelerator": f"measured: {parts[3]} on {where}",
           "source": "measured", "stack": parts[1], "precision": parts[2], "error_band": None}
    if priced is None:
        return {**row, "feasible": False, "reason": "measured, but nothing names its price (its fingerprint has no "
                                                    "catalog instance type)"}
    price = priced[1]
    if curve.latency(1) > ask.slo_s:
        return {**row, "feasible": False, "reason": f"too slow even at batch 1 ({curve.latency(1) * 1e3:.1f} ms)"}
    sized = _size(curve, ask, 1, price)
    if not sized:
        return {**row, "feasible": False, "reason": "no policy meets the target at this rate"}
    return {**row, **sized, "feasible": True, "reason": None}


def recommend(catalog: Catalog, ask: Ask, providers: list[str] | None, results: str | None,
              prices: dict[str, tuple[str, float] | None] | None = None, include_retired: bool = False) -> list[dict]:
    """Every catalog instance predicted, and every measured machine in `results` (priced by `prices`, keyed by
    machine_id; see machine_prices) as measured."""
    limits.QPS.check("request rate", ask.qps)
    limits.LATENCY_MS.check("latency target (ms)", ask.slo_s * 1e3)
    limits.PERCENTILE.check("percentile", ask.percentile)
    rows = []
    for instance in catalog.listing():
        if providers and instance.provider not in providers:
            continue
        if instance.status == "retired" and not include_retired:
            continue
        if ask.spot and instance.spot_price_per_hour_usd is None:
            continue
        rows.append(_predicted(instance, catalog, ask, results))
    if results and prices:
        records = load_records(results)
        for mid, priced in prices.items():
            row = _measured([r for r in records if machine_id(r.env) == mid], priced, ask, catalog)
            if row:
                rows.append(row)
    return sorted(rows, key=lambda r: (not r["feasible"], r.get("monthly_cost_usd") or math.inf))


def verdict(rows: list[dict], ask: Ask, rerank) -> str:
    """A plain sentence naming the winner and why, and what a tenfold change in traffic would do."""
    feasible = [r for r in rows if r["feasible"]]
    if not feasible:
        return "No candidate meets the target at this rate; relax the latency target or lower the traffic."
    win = feasible[0]
    text = (f"{win['instance']} ({win['accelerator']}, {win['precision']}, {win['batch_policy']}) is cheapest: "
            f"{win['replicas']} x at {win['monthly_cost_usd']:,.0f} USD a month, "
            f"{win['cost_per_inference_usd'] * 1e6:.3g} USD per million inferences, p{ask.percentile:g} "
            f"{win['p99_s'] * 1e3:.1f} ms ({win['source']}"
            + (f", +-{win['error_band']:.0%}" if win["error_band"] is not None else "") + ").")
    if len(feasible) > 1:
        second = feasible[1]
        text += (f" Next: {second['instance']} at {second['monthly_cost_usd']:,.0f} USD a month.")
    for factor in (10.0, 0.1):
        other = [r for r in rerank(factor) if r["feasible"]]
        if other and other[0]["instance"] != win["instance"]:
            text += (f" At {factor:g}x the traffic, {other[0]['instance']} becomes cheaper than {win['instance']}.")
            break
    else:
        text += " The winner stays the same at 10x and at a tenth of the traffic."
    return text
