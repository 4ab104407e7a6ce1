"""A real load test (the MLPerf Server scenario): open-loop Poisson arrivals and a dynamic batcher, in-process.

Arrival times are drawn up front, so arrivals never wait for the server (open loop). The batcher follows the
simulator's rule exactly: hold a batch until it is full or its oldest request has waited max_delay, run it on the
real model, and stamp each request's completion. Latency = completion - scheduled arrival.

Domain layer (serving).
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
            return LatencyCurve.from_samples(samples, f"{fallback.label} (service times seen under load)".strip())

        found = curve(False, fallback)
        found.after_idle = curve(True, fallback.after_idle or fallback)
        return found

    @classmethod
    def joined(cls, parts: list[LoadResult]) -> LoadResult:
        """Several runs as one: their requests, batches, busy time and spans added together."""
        return cls(np.concatenate([p.latencies_s for p in parts]), [b for p in parts for b in p.batch_sizes],
                   sum(p.busy_s for p in parts), sum(p.span_s for p in parts),
                   [t for p in parts for t in p.service_s], [i for p in parts for i in p.after_idle])

    def summary(self, slo_s: float | None = None, percentile: float = 99.0) -> dict:
        q = np.percentile(self.latencies_s, [50, 90, 99, percentile])
        return {"requests": int(self.latencies_s.size), "p50_s": float(q[0]), "p90_s": float(q[1]),
                "p99_s": float(q[2]), "p99_ci95_s": quantile_interval(self.latencies_s, 0.99),
                "max_s": float(self.latencies_s.max()),
                "throughput_per_s": self.latencies_s.size / self.span_s, "utilization": self.busy_s / self.span_s,
                "mean_batch": float(np.mean(self.batch_sizes)), "slo_s": slo_s,
                "slo_met": bool(q[3] <= slo_s) if slo_s else None,
                "over_slo_fraction": float(np.mean(self.latencies_s > slo_s)) if slo_s else None}


def run_load(arrivals: np.ndarray, run_batch: Callable[[int], None], policy: Policy,
             *, clock: Callable[[], float] = time.perf_counter,
             wait_until: Callable[[float], None] | None = None) -> LoadResult:
    """Serve `arrivals` (seconds from start) with `run_batch(size)`, which must return once the batch is done.
    `wait_until(t)` waits until the clock reads t."""
    arr = arrivals.tolist()
    n = len(arr)
    done = np.empty(n)
    sizes: list[int] = []
    service: list[float] = []
    idled: list[bool] = []
    busy = 0.0
    head = 0
    start = clock()
    wait_until = wait_until or (lambda t: _wait_until(t, clock))
    while head < n:
        last = head + policy.max_batch - 1
        ready = arr[head] + policy.max_delay_s
        if last < n and arr[last] < ready:
            ready = arr[last]
        now = clock() - start
        waited = now < ready
        if waited:
            wait_until(start + ready)
            now = max(clock() - start, ready)  # (start + ready) - start can round below ready
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


def quantile_interval(values: np.ndarray, q: float, z: float = 1.96) -> list[float]:
    """A distribution-free 95% interval for the q-quantile of `values`: the order statistics whose ranks bound
    n*q by z binomial standard deviations. Few requests make a p99 uncertain; this says how uncertain."""
    ordered = np.sort(values)
    n = ordered.size
    half = z * np.sqrt(n * q * (1 - q))
    low, high = int(np.floor(n * q - half)), int(np.ceil(n * q + half))
    return [float(ordered[max(low, 0)]), float(ordered[min(high, n - 1)])]


def pieces_interval(pieces: list[np.ndarray], q: float, resamples: int = 400, *, seed: int = 0) -> list[float]:
    """A 95% interval for the q-quantile of the pieces' latencies together, by resampling whole pieces. Requests in
    one busy period wait alike, so near capacity they are far from independent; whole pieces nearly are."""
    rng = np.random.default_rng(seed)
    draws = [np.percentile(np.concatenate([pieces[i] for i in rng.integers(0, len(pieces), len(pieces))]), q * 100)
             for _ in range(resamples)]
    return [float(v) for v in np.percentile(draws, [2.5, 97.5])]


def run_interleaved(warmup: np.ndarray, measured: np.ndarray, run_batch: Callable[[int], None], *, policy: Policy,
                    blocks: int, **clock) -> tuple[list[LoadResult], list[LoadResult]]:
    """Serve `warmup` and `measured` in `blocks` alternating pieces (warm-up piece, then measured piece), so that a
    machine whose speed drifts for seconds at a time drifts alike under both. Each piece starts at its own first
    arrival, with an empty queue. Returns the warm-up pieces' results and the measured pieces' results."""
    warm_parts, measured_parts = [], []
    for w, m in zip(np.array_split(warmup, blocks), np.array_split(measured, blocks), strict=True):
        if w.size:
            warm_parts.append(run_load(w - w[0], run_batch, policy, **clock))
        if m.size:
            measured_parts.append(run_load(m - m[0], run_batch, policy, **clock))
    return warm_parts, measured_parts


def _wait_until(target: float, clock: Callable[[], float]) -> None:
    """Sleep most of the way, then spin: sleep alone overshoots by up to a scheduler tick."""
    while (remaining := target - clock()) > 0:
        if remaining > 0.002:
            time.sleep(remaining - 0.001)
