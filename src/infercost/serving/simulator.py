"""The serving simulator: requests arrive, a dynamic batcher forms batches, replicas serve them.

The batcher holds a batch until it has max_batch requests or its oldest request has waited max_delay, whichever
is first, and never before a replica is free (the scheduling of Triton's dynamic batcher). Batches leave in
arrival order; each goes to the replica that frees first. With max_batch 1 it is a plain FIFO queue (M/G/k).
Service times come from the latency curve, optionally varied by the measured samples' spread.

Domain layer (serving).
"""

from __future__ import annotations

import bisect
import heapq

import numpy as np
from pydantic import BaseModel

from infercost.errors import UsageError
from infercost.serving.curve import LatencyCurve
from infercost.serving.policy import Policy


class SimResult(BaseModel):
    requests: int
    offered_qps: float
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    mean_s: float
    throughput_per_s: float
    utilization: float
    mean_queue_length: float
    mean_batch: float
    slo_s: float | None = None
    over_slo_fraction: float | None = None
    slo_met: bool | None = None
    percentile: float = 99.0
    extrapolated: bool = False  # a batch beyond the largest measured size was used
    policy: str
    replicas: int


SERVICE = ("drawn", "in_order", "fixed")


def simulate(arrivals: np.ndarray, curve: LatencyCurve, policy: Policy, *, replicas: int = 1,
             slo_s: float | None = None, percentile: float = 99.0, service: str = "drawn",
             seed: int = 0) -> SimResult:
    """Serve `arrivals`. Service times vary as the curve's samples did: `drawn` independently, or `in_order`:
    walked in the order they were measured from a random start, which keeps slow spells together (a shared machine
    slows for seconds at a time, and queues grow far more behind a spell than behind scattered slow calls); `fixed`
    takes the curve's medians alone."""
    if service not in SERVICE:
        raise UsageError(f"unknown service-time mode {service!r}; use {', '.join(SERVICE)}")
    starts, sizes, finishes, busy = _schedule(arrivals, curve, policy, replicas, service, seed, False)
    return _result(arrivals, starts, sizes, finishes, busy, curve, policy, replicas, slo_s, percentile)


def simulate_pieces(pieces: list[np.ndarray], curves: list[LatencyCurve], policy: Policy,
                    *, slo_s: float | None = None, percentile: float = 99.0) -> SimResult:
    """Serve each piece of arrivals from an empty queue with its own curve's service times, walked in order from the
    first, and report the pieces together: a load test run in pieces, each measured piece met with the service times
    of the warm-up piece served just before it, so a machine that drifts drifts alike under both."""
    arrivals, starts, sizes, finishes = [], [], [], []
    busy = span = offset = 0.0
    for piece, curve in zip(pieces, curves, strict=True):
        arr = piece - piece[0] + offset
        begun, size, done, piece_busy = _schedule(arr, curve, policy, 1, "in_order", 0, True)
        for out, value in ((arrivals, arr), (starts, begun), (sizes, size), (finishes, done)):
            out.append(value)
        busy, span = busy + piece_busy, span + float(done.max() - arr[0])
        offset = float(done.max()) + 1.0  # a second of silence between pieces: no queue carries over
    result = _result(np.concatenate(arrivals), np.concatenate(starts), np.concatenate(sizes),
                     np.concatenate(finishes), busy, curves[0], policy, 1, slo_s, percentile, span)
    lasting = sum(float(piece[-1] - piece[0]) for piece in pieces)
    return result.model_copy(update={"offered_qps": (result.requests - len(pieces)) / max(lasting, 1e-12)})


def _schedule(arrivals: np.ndarray, curve: LatencyCurve, policy: Policy, replicas: int, service: str, seed: int,
              from_start: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The batches: when each starts, its size, when it finishes; and the replicas' busy time. `from_start` walks
    in-order service times from the first rather than from a random start."""
    arr = arrivals.tolist()
    n = len(arr)
    max_batch, delay = policy.max_batch, policy.max_delay_s
    rng = np.random.default_rng(seed)
    empirical, in_order = service != "fixed", service == "in_order"
    warm = _service(curve, max_batch, empirical)
    cold = _service(curve.after_idle, max_batch, empirical) if curve.after_idle else warm
    draws = rng.random(n).tolist()
    position: dict[tuple[bool, int], int] = {}
    free = [0.0] * replicas  # a heap of times at which each replica is free
    starts, sizes, finishes = [], [], []
    busy = 0.0
    head = k = 0
    pop, push, bisect_right = heapq.heappop, heapq.heappush, bisect.bisect_right
    while head < n:
        t_free = pop(free)
        last = head + max_batch - 1
        ready = arr[head] + delay
        if last < n and arr[last] < ready:
            ready = arr[last]
        dispatch = t_free if t_free > ready else ready
        end = bisect_right(arr, dispatch, head, min(head + max_batch, n))
        size = end - head
        service, spreads = cold if dispatch > t_free else warm  # did the replica sit idle before this batch?
        duration = service[size]
        if spreads is not None:
            spread = spreads[size]
            if in_order:
                key = (dispatch > t_free, size)
                i = position.get(key, 0 if from_start else int(draws[k] * len(spread)))
                position[key] = i + 1
                duration *= spread[i % len(spread)]
            else:
                duration *= spread[int(draws[k] * len(spread))]
        finish = dispatch + duration
        push(free, finish)
        starts.append(dispatch)
        sizes.append(size)
        finishes.append(finish)
        busy += duration
        head = end
        k += 1
    return np.array(starts), np.array(sizes), np.array(finishes), busy


def _service(curve: LatencyCurve, max_batch: int, empirical: bool) -> tuple[list, dict | None]:
    """Median service time per batch size, and the measured spread around it (ratios to the median)."""
    ratios = curve.service_ratios(max_batch) if empirical else None
    return curve.table(max_batch).tolist(), ({b: r.tolist() for b, r in ratios.items()} if ratios else None)


def _result(arrivals, starts, sizes, finishes, busy, curve, policy, replicas, slo_s, percentile,
            span: float | None = None) -> SimResult:
    done = np.repeat(finishes, sizes)
    latency = done - arrivals
    waiting = np.repeat(starts, sizes) - arrivals
    span = max(span or float(done.max() - arrivals[0]), 1e-12)
    q = np.percentile(latency, [50, 90, 99, percentile])
    over = float(np.mean(latency > slo_s)) if slo_s else None
    return SimResult(
        requests=int(arrivals.size), offered_qps=float((arrivals.size - 1) / max(arrivals[-1] - arrivals[0], 1e-12)),
        p50_s=float(q[0]), p90_s=float(q[1]), p99_s=float(q[2]), max_s=float(latency.max()),
        mean_s=float(latency.mean()), throughput_per_s=float(arrivals.size / span),
        utilization=min(1.0, busy / (replicas * span)), mean_queue_length=float(waiting.sum() / span),
        mean_batch=float(sizes.mean()), slo_s=slo_s, over_slo_fraction=over,
        slo_met=bool(q[3] <= slo_s) if slo_s else None, percentile=percentile,
        extrapolated=bool(curve.extrapolates(int(sizes.max()))), policy=policy.name, replicas=replicas)
