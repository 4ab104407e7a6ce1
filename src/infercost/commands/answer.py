"""The answer, per model: the cheapest way to serve it under the stated traffic and latency target, for steady load
and for sporadic load, with the runner-up, the band, and what would change it. The report's first table, summary.md
and `infercost recommend` all print this.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

from infercost.commands.recommend import Candidates, Workload, _tie, answer
from infercost.pricing.catalog import Catalog
from infercost.pricing.pay_per_use import offerings
from infercost.results import Record
from infercost.serving.answer import Asked, Assumptions, ModelAnswer, answer_lines
from infercost.serving.curve import forward_records, served_size
from infercost.serving.sporadic import SporadicLoad, break_even_per_day, scale_to_zero_monthly, warm_monthly

__all__ = ["ALL_PRECISIONS", "Asked", "Assumptions", "ModelAnswer", "answer_for", "answer_lines"]

def fastest_cpu_stack(records: list[Record], model: str, work: Workload | None = None) -> Record | None:
    """This machine's fastest batch-1 CPU record of the model, at the size it is served at (the workload's, else
    the most measured: serving.curve.served_size)."""
    ok = [r for r in forward_records(records, model, "cpu") if r.batch_size == 1]
    if work is not None and (work.height or work.seq is not None):
        ok = [r for r in ok if (not work.height or (r.height, r.width) == (work.height, work.width))
              and (work.seq is None or r.tokens == work.seq)]
    else:
        size = served_size(ok, model)
        ok = [r for r in ok if (r.height, r.width, str(r.options.get("dims") or "")) == size]
    return min(ok, key=lambda r: r.latency_s) if ok else None


def cold_start_s(records: list[Record], model: str, backend: str, *, precision: str) -> float | None:
    """The measured cost of starting cold: building the model plus its first call (medians over the stack's
    records of the model)."""
    found = [r.load_s + r.cold_start_s for r in records if r.ok and r.model == model and r.backend == backend
             and r.precision == precision and r.load_s is not None and r.cold_start_s is not None]
    return statistics.median(found) if found else None


def _steady_change(rows: list[dict], rerank) -> str:
    feasible = [r for r in rows if r["feasible"]]
    if not feasible:
        return "a looser latency target or less traffic"
    notes = []
    if len(feasible) > 1 and _tie(feasible[0], feasible[1]):
        notes.append(f"a measurement: {feasible[1]['instance']} is within the error bands")
    for factor in (10.0, 0.1):
        other = [r for r in rerank(factor) if r["feasible"]]
        if other and other[0]["instance"] != feasible[0]["instance"]:
            notes.append(f"{factor:g}x the traffic: {other[0]['instance']}")
            break
    return "; ".join(notes) or "nothing from a tenth to 10x the traffic"


def _sporadic(rows: list[dict], load: SporadicLoad, slo_s: float, cold: float | None, here: Record | None,
              target_percentile: float) -> tuple[list[dict], str]:
    """Warm and scale-to-zero for the instances that meet the target at batch 1, and the pay-per-use plans priced
    with this machine's measurement; cheapest first, and a sentence on where scale to zero wins."""
    options = []
    fast = [r for r in rows if r.get("latency_1_s") and r["latency_1_s"] <= slo_s and r.get("price_per_hour_usd")]
    fast.sort(key=lambda r: warm_monthly(r["price_per_hour_usd"]))
    for r in fast[:6]:
        where = f"{r['instance']} ({r['source']}, {r.get('stack') or ''} {r.get('precision') or ''})".replace("  ", " ")
        band = r.get("error_band")
        options.append({"option": f"warm {r['instance']}", "kind": "warm", "where": where,
                        "monthly_cost_usd": warm_monthly(r["price_per_hour_usd"]), "first_wait_s": None,
                        "band": band, "source": r["source"]})
        if cold is not None:
            options.append({"option": f"scale to zero {r['instance']}", "kind": "scale to zero", "where": where,
                            "monthly_cost_usd": scale_to_zero_monthly(load, r["price_per_hour_usd"],
                                                                      r["latency_1_s"], cold_s=cold),
                            "first_wait_s": cold + r["latency_1_s"], "band": band, "source": r["source"],
                            "break_even_per_day": break_even_per_day(load, r["latency_1_s"], cold)})
    if here is not None and cold is not None and here.latency_s <= slo_s:
        for plan in offerings(here.latency_s, int(here.env.get("cpu_cores") or 1), here.peak_memory_bytes, cold_s=cold):
            if plan.duration_s > slo_s:
                continue
            options.append({"option": plan.plan.name, "kind": "pay per use",
                            "where": f"{plan.plan.name}, {plan.vcpus:g} vCPU, {plan.memory_bytes / 2**30:.1f} GiB "
                                     f"({here.backend} {here.precision} as measured here)",
                            "monthly_cost_usd": plan.monthly_cost(load.requests_per_month, load.bursts_per_month),
                            "first_wait_s": plan.cold_s + plan.duration_s, "band": None,
                            "source": f"measured here, priced from {', '.join(sorted({r.as_of for r in plan.sources}))}"
                                      f" list prices", "notes": list(plan.notes),
                            "sources": [r.source_url for r in plan.sources]})
    options.sort(key=lambda o: o["monthly_cost_usd"])
    if not options:
        return options, "no option meets the latency target at batch 1"
    if cold is None:
        return options, "scale to zero and pay per use need a cold start measured here (no measurement of this model)"
    waits = [o for o in options if o["kind"] == "scale to zero"]
    note = ""
    if waits:
        best = min(waits, key=lambda o: o["monthly_cost_usd"])
        note = (f"below {best['break_even_per_day']:,.0f} requests a day (bursts of {load.burst}), scaling "
                f"{best['option'].split()[-1]} to zero beats keeping it warm")
    return options, note


ALL_PRECISIONS = ("fp32", "fp16", "bf16", "int8")


def answer_for(catalog: Catalog, work: Workload, records: list[Record], *, assumptions: Assumptions,
               results: str | None = None, prices: dict | None = None,
               candidates: Candidates | None = None) -> ModelAnswer:
    """The model's answer under `assumptions`: recommend's ranking for the steady load, and the sporadic options.
    CPU instances are predicted with the CPU stack that measured fastest here (in `records`)."""
    model = work.model
    here = fastest_cpu_stack(records, model, work)
    if here is not None and work.cpu_stack is None:
        work = replace(work, cpu_stack=(here.backend, here.precision))
    target = assumptions.target
    found = answer(catalog, work, target, candidates=candidates or Candidates(), results=results, prices=prices)
    feasible = [r for r in found.rows if r["feasible"]]
    change = _steady_change(found.rows, found.rerank)
    cold = cold_start_s(records, model, here.backend, precision=here.precision) if here else None
    sporadic, note = _sporadic(found.rows, assumptions.sporadic, target.slo_s, cold, here, target.percentile)
    return ModelAnswer(model, assumptions, feasible[0] if feasible else None,
                       feasible[1] if len(feasible) > 1 else None, change, sporadic, note, found.sentence, found.rows,
                       size=work.size_label or (here.size_label if here else ""))


