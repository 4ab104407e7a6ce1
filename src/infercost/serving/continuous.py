"""Serving a language model with continuous batching: an iteration-level scheduler, as vLLM schedules.

Domain layer (serving). Each iteration decodes one token for every running request and may also prefill waiting
ones: requests are admitted in arrival order while their prompt fits the token budget left in the step and their
whole context (prompt + output) fits the KV-cache budget still free; a finished request frees its cache at once.
An iteration takes the step cost fitted to the measured generation records (StepCost): the prefill of the admitted
prompts plus one decode step of the running batch at its mean context.

From the simulated requests: TTFT and TPOT percentiles (vLLM's definitions, generation/metrics.py), goodput (the
requests a second meeting both targets), the highest rate one replica sustains with p99 TTFT and p99 TPOT under the
targets, the replicas for the asked rate and the cost per million output tokens.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from infercost.errors import UsageError
from infercost.generation.schedule import (  # noqa: F401 - the step cost and budget, re-exported
    Budget,
    StepCost,
    admit,
    fit_points,
    fit_step_cost,
    parse_lengths,
    percentiles,
    request_times,
)
from infercost.pricing.cost import cost_per_million_tokens, monthly_cost
from infercost.serving.arrivals import at_rate


def simulate_continuous(arrivals: np.ndarray, prompts: np.ndarray, outputs: np.ndarray, *, cost: StepCost,
                        budget: Budget) -> dict:
    """Every request through the iteration-level scheduler; per request its TTFT, TPOT and end-to-end seconds.

    Runs of decode-only iterations (nothing waiting can be admitted before the next request finishes or arrives)
    are advanced together: their step times form an arithmetic series, since the batch's context grows by one token
    a sequence each step."""
    count = len(arrivals)
    if count == 0:
        raise UsageError("no requests to simulate")
    too_big = int(np.max(prompts + outputs))
    if too_big > budget.kv_tokens:
        raise UsageError(f"a request needs {too_big} tokens of KV cache, more than the budget of {budget.kv_tokens}")
    arrive = [float(a) for a in arrivals]
    prompt = [int(p) for p in prompts]
    output = [int(o) for o in outputs]
    first = np.full(count, np.nan)
    done = np.full(count, np.nan)
    waiting: deque[int] = deque()
    finishing: list[tuple[int, int]] = []  # (the iteration it finishes in, request), a heap
    running = 0
    context = 0  # the running sequences' tokens so far, summed
    kv_used, now, nxt, step_no = 0, 0.0, 0, 0
    f = cost.decode[2]
    while nxt < count or waiting or running:
        if not waiting and not running:
            now = max(now, arrive[nxt])
        while nxt < count and arrive[nxt] <= now:
            waiting.append(nxt)
            nxt += 1
        admitted, kv_used = admit(waiting, prompt, output, kv_used=kv_used, running=running, budget=budget)
        if not admitted and running:
            # Decode only until the next finish, or until the first step that ends past the next arrival (which may
            # then be admitted), whichever comes first.
            steps = finishing[0][0] - step_no
            j = np.arange(steps)
            times = now + np.cumsum(cost.decode_base(running) + f * (context + j * running))
            if not waiting and nxt < count:  # (a request already waiting waits for a finish: nothing else frees room)
                cut = int(np.searchsorted(times, arrive[nxt], side="left")) + 1
                steps = max(1, min(steps, cut))
            now = float(times[steps - 1])
            step_no += steps
            context += steps * running
        else:
            step = cost.prefill_s([prompt[i] for i in admitted])
            if running:
                step += cost.decode_base(running) + f * context
            now += max(step, 1e-9)
            step_no += 1
            context += running
            for i in admitted:
                first[i] = now
                context += prompt[i] + 1
                heapq.heappush(finishing, (step_no + output[i] - 1, i))
            running += len(admitted)
        while finishing and finishing[0][0] <= step_no:
            _, i = heapq.heappop(finishing)
            done[i] = now
            kv_used -= prompt[i] + output[i]
            running -= 1
            context -= prompt[i] + output[i]
    return request_times(arrivals, first, done, outputs=outputs)


@dataclass(frozen=True)
class GenerationTarget:
    """The load and its targets: a Poisson rate, prompt and output lengths (fixed, a range drawn uniformly, or a
    trace of (time, prompt, output)), and p99 targets for TTFT and TPOT."""

    qps: float
    prompt: tuple[int, int]  # low, high (equal: fixed)
    output: tuple[int, int]
    slo_ttft_s: float
    slo_tpot_s: float
    trace: tuple[tuple[float, int, int], ...] = ()

    @classmethod
    def default(cls, prompt: int) -> GenerationTarget:
        """The load a report assumes for a generative model measured at `prompt` tokens: 2 requests/s, 128 tokens
        out, p99 TTFT under 2 s and p99 TPOT under 100 ms (about ten tokens a second, faster than people read)."""
        return cls(2.0, (prompt, prompt), (128, 128), 2.0, 0.1)

    def describe(self) -> str:
        def span(low_high: tuple[int, int]) -> str:
            return f"{low_high[0]}" if low_high[0] == low_high[1] else f"{low_high[0]}-{low_high[1]}"

        return (f"{self.qps:g} requests/s (Poisson), prompt {span(self.prompt)} tokens, output {span(self.output)} "
                f"tokens, p99 TTFT under {self.slo_ttft_s * 1e3:.4g} ms and p99 TPOT under "
                f"{self.slo_tpot_s * 1e3:.4g} ms")

    def requests(self, count: int, seed: int = 0, qps: float | None = None):
        rng = np.random.default_rng(seed)
        rate = qps or self.qps
        if self.trace:
            rows = np.array(self.trace[:count], dtype=float)
            return at_rate(rows[:, 0], rate), rows[:, 1].astype(int), rows[:, 2].astype(int)
        times = np.cumsum(rng.exponential(1.0 / rate, count))
        prompts = rng.integers(self.prompt[0], self.prompt[1] + 1, count)
        outputs = rng.integers(self.output[0], self.output[1] + 1, count)
        return times, prompts, outputs


def _summary(sim: dict, target: GenerationTarget, qps: float) -> dict:
    ttft, tpot = sim["ttft_s"], sim["tpot_s"]
    good = (ttft <= target.slo_ttft_s) & (tpot <= target.slo_tpot_s)
    return {"qps": qps, **percentiles(sim), "goodput_per_s": float(good.mean() * qps),
            "met_fraction": float(good.mean())}


def summary_at(cost: StepCost, budget: Budget, target: GenerationTarget, *, qps: float, requests: int = 2_000) -> dict:
    """The percentiles and goodput of one replica serving `qps`."""
    times, prompts, outputs = target.requests(requests, qps=qps)
    return _summary(simulate_continuous(times, prompts, outputs, cost=cost, budget=budget), target, qps)


def _meets(row: dict, target: GenerationTarget) -> bool:
    return row["ttft_p99_s"] <= target.slo_ttft_s and row["tpot_p99_s"] <= target.slo_tpot_s


def serve_generation(cost: StepCost, budget: Budget, target: GenerationTarget, *, price_per_hour: float | None = None,
                     requests: int = 2_000, tolerance: float = 1.02) -> dict:
    """The highest rate a replica sustains under both p99 targets (bisection on the rate, the same request draws
    each time), the replicas for the asked rate, the percentiles and goodput each replica sees at its share of the
    rate (all of it on one replica where one can't keep up), and what a million output tokens cost."""
    seen: dict[float, dict] = {}

    def at(qps: float) -> dict:
        if qps not in seen:
            seen[qps] = summary_at(cost, budget, target, qps=qps, requests=requests)
        return seen[qps]

    # No rate above the saturated one is sustained, whatever a finite burst's percentiles say: every request at once
    # is the most a replica completes a second.
    _, prompts, outputs = target.requests(requests)
    saturated = simulate_continuous(np.zeros(requests), prompts, outputs, cost=cost, budget=budget)
    saturated_qps = requests / saturated["span_s"]
    low, high = 0.0, min(target.qps, saturated_qps)
    while _meets(at(high), target):
        low = high
        if high >= saturated_qps:
            break
        high = min(high * 2, saturated_qps)
    if low >= saturated_qps:  # the latencies hold up to saturation
        capacity = saturated_qps
    elif low == 0.0 and not _meets(at(high * 1e-3), target):
        capacity = 0.0
    else:
        low = low or high * 1e-3
        for _ in range(20):
            mid = math.sqrt(low * high)
            low, high = (mid, high) if _meets(at(mid), target) else (low, mid)
            if high / low < tolerance:
                break
        capacity = low
    mean_output = float(np.mean(target.requests(requests)[2]))
    replicas = None
    if capacity > 0:  # the fewest replicas whose share meets the targets: exact, whatever the tolerance
        fewest, most = max(1, math.ceil(target.qps / high)), max(1, math.ceil(target.qps / capacity))
        while fewest < most:
            middle = (fewest + most) // 2
            fewest, most = (fewest, middle) if _meets(at(target.qps / middle), target) else (middle + 1, most)
        replicas = most
    asked = at(target.qps)
    if replicas and replicas > 1:  # the percentiles each replica sees at its share of the rate
        share = at(target.qps / replicas)
        asked = {**share, "qps": target.qps, "goodput_per_s": share["met_fraction"] * target.qps}
    monthly = monthly_cost(price_per_hour, replicas) if price_per_hour and replicas else None
    cost_per_million = cost_per_million_tokens(monthly, target.qps * mean_output) if monthly else None
    return {**asked, "max_qps_under_slo": capacity, "replicas": replicas, "monthly_cost_usd": monthly,
            "cost_per_million_output_tokens": cost_per_million, "mean_output_tokens": mean_output,
            "kv_budget_tokens": budget.kv_tokens, "step_token_budget": budget.step_tokens,
            "step_cost": {"prefill": list(cost.prefill), "decode": list(cost.decode), "fitted_on": cost.source}}
