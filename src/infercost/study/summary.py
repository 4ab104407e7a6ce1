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
        smallest = min(r.megapixels for r in ok)
        batch1 = [r for r in ok if r.batch_size == 1 and r.megapixels == smallest] or ok
        fastest = min(batch1, key=lambda r: r.latency_s / r.batch_size)
        best_tp = max(ok, key=lambda r: r.throughput_per_s or 0)
        largest_batch = max(ok, key=lambda r: (r.batch_size, r.megapixels))
        largest_res = max(ok, key=lambda r: (r.megapixels, r.batch_size))
        limits = [r for r in records if r.model == model and r.status == "oom"]
        rows.append({
            "model": model, "fastest_stack": stack_label(fastest), "batch1_latency_s": fastest.latency_s,
            "at_resolution": f"{fastest.width}x{fastest.height}", "best_throughput_per_s": best_tp.throughput_per_s,
            "best_throughput_stack": stack_label(best_tp), "best_throughput_batch": best_tp.batch_size,
            "largest_batch": largest_batch.batch_size,
            "largest_resolution": f"{largest_res.width}x{largest_res.height}",
            "first_oom": [f"{stack_label(r)} batch {r.batch_size} {r.width}x{r.height}" for r in limits],
        })
    return rows
