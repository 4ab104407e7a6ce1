"""A real load test (the MLPerf Server scenario): open-loop Poisson arrivals and a dynamic batcher, in-process.

Arrival times are drawn up front, so arrivals never wait for the server (open loop). The batcher follows the
simulator's rule exactly: hold a batch until it is full or its oldest request has waited max_delay, run it on the
real model, and stamp each request's completion. Latency = completion - scheduled arrival.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from infercost.serving.curve import LatencyCurve
from infercost.serving.policy import Policy


@dataclass
class LoadResult:
    latencies_s: np.ndarray
    batch_sizes: list[int]
    busy_s: float
    span_s: float
    service_s: list[float] = field(default_factory=list)  # each batch's own run time
    after_idle: list[bool] = field(default_factory=list)  # whether the server sat idle before that batch

    def service_curve(self, fallback: LatencyCurve, min_samples: int = 20) -> LatencyCurve:
        """The service times this load actually saw, as a curve for the simulator: batches served back to back and
        batches after an idle gap apart; a batch size seen fewer than `min_samples` times keeps `fallback`."""
        def curve(idle: bool, base: LatencyCurve) -> LatencyCurve:
            samples = {b: list(s) for b, s in base.samples_s.items()} or {
                b: [t] for b, t in zip(base.batches, base.latencies_s, strict=True)}
            for size in set(self.batch_sizes):
                seen = [t for b, t, i in zip(self.batch_sizes, self.service_s, self.after_idle, strict=True)
                        if b == size and i == idle]
                if len(seen) >= min_samples:
                    samples[size] = seen
            return LatencyCurve(list(samples), [float(np.median(s)) for s in samples.values()], samples,
                                label=f"{fallback.label} (service times seen under load)".strip())

        found = curve(False, fallback)
        found.after_idle = curve(True, fallback.after_idle or fallback)
        return found

    def summary(self, slo_s: float | None = None, percentile: float = 99.0) -> dict:
        q = np.percentile(self.latencies_s, [50, 90, 99, percentile])
        return {"requests": int(self.latencies_s.size), "p50_s": float(q[0]), "p90_s": float(q[1]),
                "p99_s": float(q[2]), "max_s": float(self.latencies_s.max()),
                "throughput_per_s": self.latencies_s.size / self.span_s, "utilization": self.busy_s / self.span_s,
                "mean_batch": float(np.mean(self.batch_sizes)), "slo_s": slo_s,
                "slo_met": bool(q[3] <= slo_s) if slo_s else None,
                "over_slo_fraction": float(np.mean(self.latencies_s > slo_s)) if slo_s else None}


def run_load(arrivals: np.ndarray, run_batch: Callable[[int], None], policy: Policy,
             clock: Callable[[], float] = time.perf_counter,
             wait_until: Callable[[float], None] | None = None) -> LoadResult:
    """Serve `arrivals` (seconds from start) with `run_batch(size)`, which must return once the batch is done."""
    arr = arrivals.tolist()
    n = len(arr)
    done = np.empty(n)
    sizes: list[int] = []
    service: list[float] = []
    idled: list[bool] = []
    busy = 0.0
    head = 0
    start = clock()
    wait_until = wait_until or (lambda t: _wait_until(start + t, clock))
    while head < n:
        last = head + policy.max_batch - 1
        ready = arr[head] + policy.max_delay_s
        if last < n and arr[last] < ready:
            ready = arr[last]
        now = clock() - start
        waited = now < ready
        if waited:
            wait_until(ready)
            now = clock() - start
        end = head
        limit = min(head + policy.max_batch, n)
        while end < limit and arr[end] <= now:
            end += 1
        t0 = clock()
        run_batch(end - head)
        t1 = clock()
        busy += t1 - t0
        service.append(t1 - t0)
        idled.append(waited)
        done[head:end] = t1 - start
        sizes.append(end - head)
        head = end
    span = done.max() - arr[0]
    return LoadResult(done - arrivals, sizes, busy, max(span, 1e-9), service, idled)


def _wait_until(target: float, clock: Callable[[], float]) -> None:
    """Sleep most of the way, then spin: sleep alone overshoots by up to a scheduler tick."""
    while (remaining := target - clock()) > 0:
        if remaining > 0.002:
            time.sleep(remaining - 0.001)
