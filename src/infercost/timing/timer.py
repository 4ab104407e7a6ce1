"""The timer: a cold call on its own, warm-up, then timed calls until the median is known well enough.

Core layer (timing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from infercost import limits
from infercost.errors import UsageError
from infercost.timing.clock import Clock, DeviceClock
from infercost.timing.stats import Stats, ci_within, summarize

NOISY_CV = 0.10


@dataclass(frozen=True)
class TimerConfig:
    method: str = "adaptive"  # "adaptive": stop on the median's CI; "seed": the classic 11 calls, mean of last 10
    min_calls: int = 10
    min_time_s: float = 1.0
    max_calls: int = 2000
    max_time_s: float = 30.0
    warmup_calls: int = 2
    warmup_time_s: float = 0.2
    ci_rel: float = 0.02  # stop when the median's 95% CI is within +-2% of it
    # Idle time between timed calls (outside the clock). Serving leaves gaps between requests, and a call after a
    # gap is slower (threads and caches go cold): this measures service time at that duty cycle.
    idle_s: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in ("adaptive", "seed"):
            raise UsageError(f"unknown timing method {self.method!r}; use adaptive or seed")
        for name in ("min_time_s", "max_time_s", "warmup_time_s", "idle_s"):
            limits.TIME_S.check(name, getattr(self, name))


@dataclass
class Measurement:
    """The raw result of timing one callable: every sample kept; statistics derived."""

    cold_start_s: float
    samples_s: list[float]
    method: str
    warmup_calls: int
    stop_reason: str
    warnings: list[str] = field(default_factory=list)

    @property
    def stats(self) -> Stats:
        return summarize(self.samples_s)

    @property
    def latency_s(self) -> float:
        return self.stats.headline_s(self.method)


class Timer:
    def __init__(self, fn: Callable[[], object], clock: Clock | None = None,
                 config: TimerConfig | None = None) -> None:
        self.fn = fn
        self.clock = clock or DeviceClock()
        self.config = config or TimerConfig()

    def _time_one(self) -> float:
        now, sync = self.clock.now, self.clock.sync
        start = now()
        self.fn()
        sync()
        return now() - start

    def measure(self) -> Measurement:
        cold = self._time_one()
        if self.config.method == "seed":
            samples = [self._time_one() for _ in range(10)]
            return self._finish(cold, samples, 0, "seed: 11 calls, mean of the last 10")
        warmups = self._warm_up()
        samples, reason = self._timed_loop()
        return self._finish(cold, samples, warmups, reason)

    def _warm_up(self) -> int:
        cfg, clock = self.config, self.clock
        start, calls = clock.now(), 0
        while calls < cfg.warmup_calls or (clock.now() - start < cfg.warmup_time_s and calls < 100):
            self._time_one()
            calls += 1
        return calls

    def _timed_loop(self) -> tuple[list[float], str]:
        cfg = self.config
        now, sync, fn = self.clock.now, self.clock.sync, self.fn
        samples: list[float] = []
        append = samples.append
        total = 0.0
        next_check = cfg.min_calls
        idle = cfg.idle_s
        while True:
            if idle:
                time.sleep(idle)
            start = now()
            fn()
            sync()
            elapsed = now() - start
            append(elapsed)
            total += elapsed
            n = len(samples)
            if n >= cfg.max_calls:
                return samples, f"call cap ({cfg.max_calls} calls)"
            if total >= cfg.max_time_s:
                return samples, f"time cap ({cfg.max_time_s:g} s)"
            # The CI check sorts the samples; doing it on a geometric schedule keeps the loop cheap.
            if n >= next_check and total >= cfg.min_time_s:
                if ci_within(sorted(samples), cfg.ci_rel):
                    return samples, f"median 95% CI within +-{cfg.ci_rel:.0%}"
                next_check = n + max(1, n // 10)

    def _finish(self, cold: float, samples: list[float], warmups: int, reason: str) -> Measurement:
        m = Measurement(cold_start_s=cold, samples_s=samples, method=self.config.method, warmup_calls=warmups,
                        stop_reason=reason)
        stats = m.stats
        if stats.cv > NOISY_CV:
            m.warnings.append(f"noisy: coefficient of variation is {stats.cv:.0%} of the mean "
                              f"({stats.n} samples)")
        if self.config.method == "adaptive" and not reason.startswith("median"):
            m.warnings.append(f"stopped at the {reason} before the median's CI reached +-{self.config.ci_rel:.0%}")
        return m
