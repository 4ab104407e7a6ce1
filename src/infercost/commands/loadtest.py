"""`infercost loadtest`: drive the real model with open-loop Poisson arrivals through a dynamic batcher.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from infercost import limits
from infercost.backends import backend_class, require_backend
from infercost.case import Case
from infercost.commands.result_types import GenerationLoadTested, LoadTested
from infercost.errors import UsageError
from infercost.generation.schedule import percentiles
from infercost.models import resolve_model
from infercost.serving import LatencyCurve, Policy, poisson, simulate, simulate_pieces
from infercost.serving.capacity import max_rate_under_slo
from infercost.serving.loadtest import LoadResult, pieces_interval, quantile_interval, run_interleaved
from infercost.serving.target import ServingTarget
from infercost.timing import DeviceClock, Timer, TimerConfig
from infercost.timing.stats import percentile as percentile_of

CURVE_TIMER = TimerConfig(min_calls=10, min_time_s=0.5, max_calls=500, max_time_s=3.0)


class LoadedStacks:
    """One loaded backend per batch size, so any batch the batcher forms runs at once."""

    def __init__(self, case: Case, max_batch: int) -> None:
        spec = resolve_model(case.model)
        cls = require_backend(case.backend)
        self.stacks = {}
        for batch in range(1, max_batch + 1):
            backend = cls(case.with_(batch_size=batch), spec)
            backend.load()
            self.stacks[batch] = (backend, backend.make_input())

    def run(self, batch: int) -> None:
        backend, inputs = self.stacks[batch]
        backend.run(inputs)
        backend.sync()

    def curve(self, idle_s: float = 0.0) -> LatencyCurve:
        """The latency-by-batch curve measured on the same loaded stacks, for the simulator's prediction, with
        `idle_s` between calls as the traffic will leave (a call after a gap is slower than back to back)."""
        sizes = sorted({1, *[2**i for i in range(1, 8) if 2**i <= max(self.stacks)], max(self.stacks)})
        config = replace(CURVE_TIMER, idle_s=idle_s)
        samples = {}
        for batch in sizes:
            backend, inputs = self.stacks[batch]
            samples[batch] = Timer(lambda b=backend, x=inputs: b.run(x), DeviceClock(backend.sync),
                                   config).measure().samples_s
        return LatencyCurve.from_samples(samples)


@dataclass(frozen=True)
class LoadRun:
    """How long a load test serves: the measured time, a warm-up at the same rate first (0: none), the pieces the
    two alternate in (None: one per 10 s measured when there is a warm-up), and the arrivals' seed."""

    duration_s: float
    warmup_s: float = 0.0
    blocks: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        limits.DURATION.check("duration (s)", self.duration_s)
        if self.warmup_s:
            limits.DURATION.check("warm-up (s)", self.warmup_s)
        if self.blocks is not None:
            limits.BLOCKS.check("blocks", self.blocks)
        limits.SEED.check("seed", self.seed)


def loadtest(case: Case, target: ServingTarget, policy: Policy, *, run: LoadRun,
             stacks: LoadedStacks | None = None) -> LoadTested:
    """Serve Poisson arrivals at the target's rate for the run's duration on the real model and simulate the same
    arrivals. The simulator's service times come from the latency curve measured just before (back to back, and
    after an idle gap as long as the mean gap between requests); with a warm-up, from the batches it actually ran.
    With blocks > 1 the warm-up and the measured time alternate in that many pieces, so that a machine whose speed
    drifts (a shared VM) drifts alike under both. The target's latency may be None: no target, percentiles only."""
    qps, slo_s, percentile = target.qps, target.slo_s, target.percentile
    duration_s, warmup_s, blocks, seed = run.duration_s, run.warmup_s, run.blocks, run.seed
    if target.traffic != "steady":
        raise UsageError("the load test sends steady (Poisson) traffic; simulate takes bursty traffic and traces")
    limits.check_requests(qps * (duration_s + warmup_s), "the load test")
    limits.SERVED_BATCH.check("max batch (one loaded stack per batch size)", policy.max_batch)
    if getattr(backend_class(case.backend), "environment", None):
        raise UsageError(f"the load test runs in this process; {case.backend} lives in an environment of its own "
                         f"(use bench for it, or a backend from infercost backends)")
    served = stacks or LoadedStacks(case, policy.max_batch)
    # A batch that follows an idle period runs slower than one served back to back. Under Poisson arrivals an
    # idle period lasts 1/qps on average, so the after-idle curve is measured with that gap between calls.
    curve = served.curve()
    idle = 1.0 / qps
    curve.after_idle = served.curve(idle_s=idle)
    arrivals = poisson(qps, max(10, int(qps * duration_s)), seed)
    warmup = poisson(qps, max(10, int(qps * warmup_s)), seed + 7919) if warmup_s > 0 else np.empty(0)
    if blocks is None:
        blocks = max(1, round(duration_s / 10)) if warmup_s > 0 else 1
    blocks = max(1, min(blocks, arrivals.size // 10))
    warm_parts, parts = run_interleaved(warmup, arrivals, served.run, policy=policy, blocks=blocks)
    service_curve = LoadResult.joined(warm_parts).service_curve(curve) if warm_parts else curve
    measured = LoadResult.joined(parts).summary(slo_s, percentile)
    measured["p99_ci95_method"] = "order statistics (requests taken as independent)"
    if len(parts) >= 5:
        measured["p99_ci95_s"] = pieces_interval([p.latencies_s for p in parts], 0.99, seed=seed)
        measured["p99_ci95_method"] = f"resampling the {len(parts)} measured pieces"
    # Warm-up service times are walked in the order they came (slow spells stay together); a curve's are drawn.
    # In blocks, each measured piece meets the service times of the warm-up piece served just before it.
    if warm_parts and len(warm_parts) == len(parts) > 1:
        pieces = [piece for piece in np.array_split(arrivals, blocks) if piece.size]  # as run_interleaved cut them
        curves = [w.service_curve(service_curve, min_samples=3) for w in warm_parts]
        predicted = simulate_pieces(pieces, curves, policy, slo_s=slo_s, percentile=percentile)
        how = f"warm-up at the same rate, in order, piece by piece ({len(parts)} pieces)"
    else:
        predicted = simulate(arrivals, service_curve, policy, replicas=1, slo_s=slo_s, percentile=percentile,
                             service="in_order" if warm_parts else "drawn")
        how = "warm-up at the same rate, in order" if warm_parts else "latency curve"
    from_curve = simulate(arrivals, curve, policy, replicas=1, slo_s=slo_s,
                          percentile=percentile) if warm_parts else predicted
    shuffled = simulate(arrivals, service_curve, policy, replicas=1, slo_s=slo_s,
                        percentile=percentile) if warm_parts else predicted
    single_stream = percentile_of(sorted(curve.samples_s[1]), 90)
    scenarios = {
        "SingleStream": {"p90_latency_s": single_stream},
        "Server": {"qps": qps, "p99_s": measured["p99_s"], "slo_met": measured["slo_met"],
                   "max_qps_under_slo_predicted": max_rate_under_slo(curve, policy, slo_s, percentile=percentile)
                   if slo_s else None},
        "Offline": {"throughput_per_s": curve.best_throughput(), "at_batch": max(
            curve.batches, key=curve.throughput)},
    }
    return LoadTested(**{"qps": qps, "policy": policy.name, "duration_s": duration_s, **measured, "curve_idle_s": idle,
            "simulated": {"p50_s": predicted.p50_s, "p90_s": predicted.p90_s, "p99_s": predicted.p99_s,
                          "utilization": predicted.utilization,
                          "service_times": how},
            "simulated_warmup_shuffled": {"p50_s": shuffled.p50_s, "p90_s": shuffled.p90_s,
                                          "p99_s": shuffled.p99_s, "utilization": shuffled.utilization},
            "simulated_from_curve": {"p50_s": from_curve.p50_s, "p90_s": from_curve.p90_s,
                                     "p99_s": from_curve.p99_s, "utilization": from_curve.utilization},
            "warmup_s": warmup_s, "blocks": blocks,
            "capacity_per_s": curve.best_throughput(policy.max_batch),
            "curve": {"batches": curve.batches, "latencies_s": curve.latencies_s},
            "scenarios": scenarios, "stack": {"backend": case.backend, "precision": case.precision,
                                              "device": case.device, "resolution": case.size_label}})


def _intervals(result: dict) -> dict:
    """Distribution-free 95% intervals of the measured percentiles (requests taken as independent): a p99 of a
    hundred requests is little more than its largest one."""
    return {f"{name}_p{q}_ci95_s": quantile_interval(np.asarray(result[f"{name}_s"]), q / 100)
            for name in ("ttft", "tpot") for q in (50, 99)}


class LoadedEngine:
    """A causal model in a continuous-batching engine (generation/engine.py), its KV budget sized for `max_batch`
    requests of the longest lengths, and the step cost of its own forwards."""

    def __init__(self, case: Case, prompt: tuple[int, int], output: tuple[int, int], max_batch: int,
                 seed: int = 0) -> None:
        from infercost.generation.engine import Engine
        from infercost.generation.measure import load_causal
        from infercost.serving.continuous import Budget

        limits.SERVED_BATCH.check("max batch", max_batch)
        spec = resolve_model(case.model)
        self.case, self.prompt, self.output, self.max_batch = case, prompt, output, max_batch
        self.budget = Budget(kv_tokens=max_batch * (prompt[1] + output[1]))
        self.engine = Engine(load_causal(spec, case), spec.vocab_size, self.budget, seed=seed)
        self.rng = np.random.default_rng(seed)
        self.engine.serve(np.zeros(max_batch), *self.lengths(max_batch))  # warm-up

    def lengths(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        return (self.rng.integers(self.prompt[0], self.prompt[1] + 1, count),
                self.rng.integers(self.output[0], self.output[1] + 1, count))

    def profile(self):
        """The step cost of the engine's own prefill and decode forwards, timed in isolation just now."""
        low, high = self.prompt[0], self.prompt[1]
        return self.engine.profile(sorted({max(1, low // 2), low, high, high * 2}), list(range(1, self.max_batch + 1)),
                                   [low, high + self.output[1]], label="profiled in process just before",
                                   prefill_batches=(1, 2, 3, 4))

    def capacity(self, cost, requests: int = 400) -> float:
        """Requests a second one replica completes with every request waiting at once (simulated)."""
        from infercost.serving.continuous import simulate_continuous

        return requests / simulate_continuous(np.zeros(requests), *self.lengths(requests), cost=cost,
                                              budget=self.budget)["span_s"]


def generation_loadtest(loaded: LoadedEngine, qps: float, run: LoadRun) -> GenerationLoadTested:
    """Poisson arrivals at `qps` for the run's duration, generated for real with continuous batching, and the very
    same arrivals and lengths simulated on the step cost profiled just before: measured and simulated p50 and p99
    TTFT and TPOT side by side."""
    from infercost.serving.continuous import simulate_continuous

    if run.warmup_s or run.blocks:
        raise UsageError("a generation load test takes no --warmup or --blocks (the step cost is profiled instead)")
    count = max(10, int(qps * run.duration_s))
    limits.check_requests(count, "the load test")
    cost = loaded.profile()
    arrivals = poisson(qps, count, run.seed)
    prompts, outputs = loaded.lengths(count)
    served = loaded.engine.serve(arrivals, prompts, outputs)
    simulated = simulate_continuous(arrivals, prompts, outputs, cost=cost, budget=loaded.budget)
    steps = served["iterations"]
    return GenerationLoadTested(**{
            "model": loaded.case.model, "precision": loaded.case.precision,
            "qps": qps, "requests": count, "measured": percentiles(served), "measured_ci95": _intervals(served),
            "simulated": percentiles(simulated),
            "capacity_per_s": loaded.capacity(cost), "kv_budget_tokens": loaded.budget.kv_tokens,
            "mean_decode_batch": float(np.mean([s["decoded"] for s in steps if s["decoded"]] or [0.0])),
            "step_cost": {"prefill": list(cost.prefill), "decode": list(cost.decode),
                          "decode_by_batch": list(cost.decode_by_batch),
                          "prefill_by_count": list(cost.prefill_by_count), "fitted_on": cost.source},
            "span_s": served["span_s"]})
