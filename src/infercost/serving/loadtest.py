"""A real load test (the MLPerf Server scenario): open-loop Poisson arrivals and a dynamic batcher, in-process.

Arrival times are drawn up front, so arrivals never wait for the server (open loop). The batcher follows the
simulator's rule exactly: hold a batch until it is full or its oldest request has waited max_delay, run it on the
real model, and stamp each request's completion. Latency = completion - scheduled arrival.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from infercost.serving.policy import Policy


@dataclass
class LoadResult:
    latencies_s: np.ndarray
    batch_sizes: list[int]
    busy_s: float
    span_s: float

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
        if now < ready:
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
        done[head:end] = t1 - start
        sizes.append(end - head)
        head = end
    span = done.max() - arr[0]
    return LoadResult(done - arrivals, sizes, busy, max(span, 1e-9))


def _wait_until(target: float, clock: Callable[[], float]) -> None:
    """Sleep most of the way, then spin: sleep alone overshoots by up to a scheduler tick."""
    while (remaining := target - clock()) > 0:
        if remaining > 0.002:
            time.sleep(remaining - 0.001)
