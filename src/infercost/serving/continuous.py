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
from infercost.pricing.cost import SECONDS_PER_MONTH


@dataclass(frozen=True)
class StepCost:
    """Seconds for one iteration: prefill = a + b x tokens + c x sum(prompt^2) over the admitted prompts; decode =
    d + e x batch + f x batch x context. Fitted by non-negative least squares to measured TTFT and TPOT."""

    prefill: tuple[float, float, float]
    decode: tuple[float, float, float]
    source: str = ""
    # Measured at every batch size from 1 (an engine's own profile): the decode step's seconds at each batch, less
    # the context term, in place of d + e x batch. A CPU's kernels change with the batch (here gpt2 decoded one
    # sequence in 28 ms, three in 66 ms and five in 49 ms), which no line follows.
    decode_by_batch: tuple[float, ...] = ()
    # Likewise the prefill's fixed part for 1, 2, ... prompts admitted together (its token terms shared): a prefill
    # of several prompts costs less than each alone (gpt2 here: one prompt of 32 tokens 73 ms, four 197 ms).
    prefill_by_count: tuple[float, ...] = ()

    def prefill_s(self, prompts: list[int]) -> float:
        if not prompts:
            return 0.0
        a, b, c = self.prefill
        if len(prompts) <= len(self.prefill_by_count):
            a = self.prefill_by_count[len(prompts) - 1]
        return a + b * sum(prompts) + c * sum(p * p for p in prompts)

    def decode_base(self, batch: int) -> float:
        """A decode step of `batch` sequences before its context term."""
        if batch == 0:
            return 0.0
        if batch <= len(self.decode_by_batch):
            return self.decode_by_batch[batch - 1]
        d, e, _ = self.decode
        return d + e * batch

    def decode_s(self, batch: int, context: float) -> float:
        """A decode step of `batch` sequences at a mean context of `context` tokens."""
        return self.decode_base(batch) + self.decode[2] * batch * context if batch else 0.0


def _nnls(rows: list[list[float]], targets: list[float]) -> list[float]:
    from scipy.optimize import nnls

    matrix = np.array(rows, dtype=float)
    scale = matrix.max(axis=0)
    scale[scale == 0] = 1.0
    found, _ = nnls(matrix / scale, np.array(targets, dtype=float))
    return list(found / scale)


def fit_step_cost(records) -> StepCost:
    """The step cost from generation records (ok, one model and stack): TTFT against the prompt tokens, TPOT
    against the batch and its context."""
    points = [r for r in records if r.ok and r.generation and r.generation.get("tpot_s")]
    if not points:
        raise UsageError("no ok generation records to fit a step cost on (bench with --output-len first)")
    prefill = [(r.batch_size, r.generation["prompt_tokens"], r.generation["ttft_s"]) for r in points]
    decode = [(r.batch_size, r.generation["prompt_tokens"] + r.generation["output_tokens"] / 2,
               r.generation["tpot_s"]) for r in points]
    label = f"{points[0].model} {points[0].backend} {points[0].precision}, {len(points)} generation points"
    return fit_points(prefill, decode, label)


def fit_points(prefill: list[tuple[int, int, float]], decode: list[tuple[int, float, float]],
               label: str) -> StepCost:
    """The step cost from timed forwards: prefills as (batch, prompt tokens, seconds) and decode steps as (batch,
    context per sequence, seconds). Fewer distinct points fit fewer terms: one point makes the prefill
    proportional to its tokens and the decode step constant (weights read once a step, whatever the batch). Decode
    steps timed at every batch size from 1 are also kept one by one (StepCost.decode_by_batch), and prefills timed
    at every count of prompts from 1 get an intercept per count (StepCost.prefill_by_count)."""
    counts = sorted({n for n, _, _ in prefill})
    by_count = ()
    if len(counts) > 1 and counts == list(range(1, counts[-1] + 1)) and len(prefill) >= len(counts) + 2:
        # Every count of prompts admitted together measured: an intercept per count, the token terms shared.
        found = _nnls([[1.0 * (n == k) for k in counts] + [n * p, n * p * p] for n, p, _ in prefill],
                      [t for *_, t in prefill])
        by_count, (b, c) = tuple(found[:-2]), found[-2:]
        a = by_count[-1]  # more prompts than measured: the largest count's
    elif len({(b, p) for b, p, _ in prefill}) >= 3:
        a, b, c = _nnls([[1.0, n * p, n * p * p] for n, p, _ in prefill], [t for *_, t in prefill])
    else:
        a, c = 0.0, 0.0
        b = float(np.mean([t / (n * p) for n, p, t in prefill]))
    if len({(n, ctx) for n, ctx, _ in decode}) >= 3:
        d, e, f = _nnls([[1.0, n, n * ctx] for n, ctx, _ in decode], [t for *_, t in decode])
    elif len({n for n, _, _ in decode}) == 2:
        (n1, _, t1), (n2, _, t2) = sorted({(n, 0, t) for n, _, t in decode})[:2]
        e = max(0.0, (t2 - t1) / (n2 - n1))
        d, f = max(0.0, t1 - e * n1), 0.0
    else:
        d, e, f = float(np.mean([t for *_, t in decode])), 0.0, 0.0
    sizes = {n for n, _, _ in decode}
    by_batch = ()
    if len(sizes) > 1 and sizes == set(range(1, max(sizes) + 1)):  # every batch measured: take each as it is
        by_batch = tuple(max(0.0, float(np.mean([t - f * n * ctx for n, ctx, t in decode if n == size])))
                         for size in range(1, max(sizes) + 1))
    return StepCost((a, b, c), (d, e, f), label, by_batch, by_count)


@dataclass(frozen=True)
class Budget:
    """What one replica holds: KV-cache tokens (every running request's prompt + output reserved) and tokens one
    iteration may process (prefill tokens plus one per decoding request)."""

    kv_tokens: int
    step_tokens: int = 2048

    def __post_init__(self) -> None:
        if self.kv_tokens < 1 or self.step_tokens < 1:
            raise UsageError("the KV-cache budget and the token budget must be at least one token")


def simulate_continuous(arrivals: np.ndarray, prompts: np.ndarray, outputs: np.ndarray, cost: StepCost,
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
        room = budget.step_tokens - running
        admitted = []
        while waiting:
            head = waiting[0]
            need = prompt[head] + output[head]
            if kv_used + need > budget.kv_tokens or not (prompt[head] <= room or (not admitted and not running)):
                break
            waiting.popleft()
            admitted.append(head)
            kv_used += need
            room -= prompt[head]
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
    ttft = first - arrivals
    e2e = done - arrivals
    tpot = np.where(outputs > 1, (e2e - ttft) / np.maximum(outputs - 1, 1), 0.0)
    return {"ttft_s": ttft, "tpot_s": tpot, "e2e_s": e2e, "span_s": float(np.nanmax(done) - arrivals[0])}


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
            times = rows[:, 0] - rows[0, 0]
            span = times[-1] if times[-1] > 0 else 1.0
            times = times * (len(times) / rate) / span  # the trace's shape at the asked mean rate
            return times, rows[:, 1].astype(int), rows[:, 2].astype(int)
        times = np.cumsum(rng.exponential(1.0 / rate, count))
        prompts = rng.integers(self.prompt[0], self.prompt[1] + 1, count)
        outputs = rng.integers(self.output[0], self.output[1] + 1, count)
        return times, prompts, outputs


def parse_lengths(text: str, what: str) -> tuple[int, int]:
    """'128' -> (128, 128); '64:512' -> drawn uniformly from 64 to 512."""
    from infercost.limits import DIM

    low, _, high = str(text).partition(":")
    low_n = int(DIM.check(what, low))
    high_n = int(DIM.check(what, high)) if high else low_n
    if high_n < low_n:
        raise UsageError(f"{what} {text!r}: the range runs low:high")
    return low_n, high_n


def _summary(sim: dict, target: GenerationTarget, qps: float) -> dict:
    ttft, tpot = sim["ttft_s"], sim["tpot_s"]
    good = (ttft <= target.slo_ttft_s) & (tpot <= target.slo_tpot_s)
    return {"qps": qps, "ttft_p50_s": float(np.percentile(ttft, 50)), "ttft_p99_s": float(np.percentile(ttft, 99)),
            "tpot_p50_s": float(np.percentile(tpot, 50)), "tpot_p99_s": float(np.percentile(tpot, 99)),
            "goodput_per_s": float(good.mean() * qps), "met_fraction": float(good.mean())}


def summary_at(cost: StepCost, budget: Budget, target: GenerationTarget, qps: float, requests: int = 2_000) -> dict:
    """The percentiles and goodput of one replica serving `qps`."""
    times, prompts, outputs = target.requests(requests, qps=qps)
    return _summary(simulate_continuous(times, prompts, outputs, cost, budget), target, qps)


def _meets(row: dict, target: GenerationTarget) -> bool:
    return row["ttft_p99_s"] <= target.slo_ttft_s and row["tpot_p99_s"] <= target.slo_tpot_s


def serve_generation(cost: StepCost, budget: Budget, target: GenerationTarget, price_per_hour: float | None = None,
                     requests: int = 2_000, tolerance: float = 1.02) -> dict:
    """The highest rate a replica sustains under both p99 targets (bisection on the rate, the same request draws
    each time), the replicas for the asked rate, the percentiles and goodput each replica sees at its share of the
    rate (all of it on one replica where one can't keep up), and what a million output tokens cost."""
    def at(qps: float) -> dict:
        return summary_at(cost, budget, target, qps, requests)

    asked = at(target.qps)
    low, high = 0.0, target.qps
    while _meets(at(high), target) and high < 1e6:
        low, high = high, high * 2
    if low == 0.0 and not _meets(at(high * 1e-3), target):
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
    replicas = math.ceil(target.qps / capacity) if capacity > 0 else None
    if replicas and replicas > 1:  # the percentiles each replica sees at its share of the rate
        share = at(target.qps / replicas)
        asked = {**share, "qps": target.qps, "goodput_per_s": share["met_fraction"] * target.qps}
    cost_per_million = (price_per_hour * replicas * 730 / (target.qps * SECONDS_PER_MONTH * mean_output) * 1e6
                        if price_per_hour and replicas else None)
    return {**asked, "max_qps_under_slo": capacity, "replicas": replicas,
            "monthly_cost_usd": price_per_hour * replicas * 730 if price_per_hour and replicas else None,
            "cost_per_million_output_tokens": cost_per_million, "mean_output_tokens": mean_output,
            "kv_budget_tokens": budget.kv_tokens, "step_token_budget": budget.step_tokens,
            "step_cost": {"prefill": list(cost.prefill), "decode": list(cost.decode), "fitted_on": cost.source}}
