"""The end-of-study summary: per model, the fastest stack, its batch-1 latency, best throughput, largest fit.

Domain layer (study).
"""

from __future__ import annotations

from collections.abc import Sequence

from infercost.results.record import Record, stack_label


def summarize_models(records: Sequence[Record]) -> list[dict]:
    rows = []
    for model in sorted({r.model for r in records}):
        ok = [r for r in records if r.model == model and r.ok and r.latency_s]
        if not ok:
            failed = [r for r in records if r.model == model]
            rows.append({"model": model, "fastest_stack": None, "note": failed[0].status if failed else "no points"})
            continue
        smallest = min(r.size for r in ok)
        batch1 = [r for r in ok if r.batch_size == 1 and r.size == smallest] or ok
        fastest = min(batch1, key=lambda r: r.latency_s / r.batch_size)
        best_tp = max(ok, key=lambda r: r.throughput_per_s or 0)
        largest_batch = max(ok, key=lambda r: (r.batch_size, r.size))
        largest_res = max(ok, key=lambda r: (r.size, r.batch_size))
        limits = [r for r in records if r.model == model and r.status == "oom"]
        rows.append({
            "model": model, "fastest_stack": stack_label(fastest), "batch1_latency_s": fastest.latency_s,
            "at_resolution": fastest.size_label, "best_throughput_per_s": best_tp.throughput_per_s,
            "best_throughput_stack": stack_label(best_tp), "best_throughput_batch": best_tp.batch_size,
            "largest_batch": largest_batch.batch_size,
            "largest_resolution": largest_res.size_label,
            "first_oom": [f"{stack_label(r)} batch {r.batch_size} {r.size_label}" for r in limits],
        })
    return rows
