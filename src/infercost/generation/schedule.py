"""Continuous batching's own rules, shared by the simulator (serving/continuous.py) and the real engine
(generation/engine.py): what an iteration costs (StepCost, fitted to timed forwards by fit_points), what a replica
holds (Budget), which waiting requests an iteration admits (admit), and each request's TTFT, TPOT and end-to-end
times and their percentiles (request_times, percentiles).

Runtime layer (generation): arithmetic only, no framework.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from infercost.errors import UsageError
from infercost.limits import DIM


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

    def scaled(self, prefill: float, decode: float, note: str = "") -> StepCost:
        """Every prefill term times `prefill`, every decode term times `decode` (a calibration's factors)."""
        if prefill == 1.0 and decode == 1.0:
            return self
        return StepCost(tuple(t * prefill for t in self.prefill), tuple(t * decode for t in self.decode),
                        self.source + note, tuple(t * decode for t in self.decode_by_batch),
                        tuple(t * prefill for t in self.prefill_by_count))


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


def admit(waiting: deque, prompts, outputs, *, kv_used: int, running: int, budget: Budget) -> tuple[list[int], int]:
    """The waiting requests one iteration admits, taken from the head of `waiting` in arrival order while each one's
    prompt fits the token budget left in the step (the first one always, when nothing runs) and its whole context
    (prompt + output) fits the KV-cache budget still free; and the KV tokens then in use."""
    room = budget.step_tokens - running
    admitted: list[int] = []
    while waiting:
        head = waiting[0]
        need = int(prompts[head]) + int(outputs[head])
        if kv_used + need > budget.kv_tokens or not (prompts[head] <= room or (not admitted and not running)):
            break
        admitted.append(waiting.popleft())
        kv_used += need
        room -= int(prompts[head])
    return admitted, kv_used


def request_times(arrivals: np.ndarray, first: np.ndarray, done: np.ndarray, *, outputs: np.ndarray) -> dict:
    """Each request's TTFT (first token - arrival), TPOT ((end-to-end - TTFT) / (output - 1); 0 for one token) and
    end-to-end seconds, and the span from the first arrival to the last finish."""
    ttft = first - arrivals
    e2e = done - arrivals
    tpot = np.where(outputs > 1, (e2e - ttft) / np.maximum(outputs - 1, 1), 0.0)
    return {"ttft_s": ttft, "tpot_s": tpot, "e2e_s": e2e, "span_s": float(np.nanmax(done) - arrivals[0])}


def percentiles(times: dict) -> dict:
    """p50 and p99 of the requests' TTFT and TPOT."""
    return {f"{name}_p{q}_s": float(np.percentile(times[f"{name}_s"], q))
            for name in ("ttft", "tpot") for q in (50, 99)}


def parse_lengths(text: str, what: str) -> tuple[int, int]:
    """'128' -> (128, 128); '64:512' -> drawn uniformly from 64 to 512."""
    low, _, high = str(text).partition(":")
    low_n = int(DIM.check(what, low))
    high_n = int(DIM.check(what, high)) if high else low_n
    if high_n < low_n:
        raise UsageError(f"{what} {text!r}: the range runs low:high")
    return low_n, high_n


@dataclass(frozen=True)
class TokenLengths:
    """--prompt-len or --output-len as given, one type for every command: a length (128), a range drawn uniformly
    (64:512), or a list of them (128,512). Each command takes what it can use: bench a list of fixed lengths, a
    served load one length or range, a prediction one fixed length."""

    spans: tuple[tuple[int, int], ...]
    text: str

    @classmethod
    def parse(cls, text: str, what: str) -> TokenLengths:
        parts = [part.strip() for part in str(text).split(",") if part.strip()]
        if not parts:
            raise UsageError(f"no {what} given")
        return cls(tuple(parse_lengths(part, what) for part in parts), ",".join(parts))

    def __str__(self) -> str:
        return self.text

    def fixed(self, flag: str) -> list[int]:
        """Every length, each one fixed."""
        if any(low != high for low, high in self.spans):
            raise UsageError(f"{flag} takes fixed lengths here (e.g. 128,512), not a range: got {self.text}")
        return [low for low, _ in self.spans]

    def one(self, flag: str) -> tuple[int, int]:
        """The one length or range."""
        if len(self.spans) != 1:
            raise UsageError(f"{flag} takes one length or range here (e.g. 128 or 64:512), not a list: got {self.text}")
        return self.spans[0]

    def single(self, flag: str) -> int:
        """The one fixed length."""
        low, high = self.one(flag)
        if low != high:
            raise UsageError(f"{flag} takes one fixed length here (e.g. 128), not a range: got {self.text}")
        return low
