"""The timer's own cost per timed call, around a model that does nothing (target: under 5 microseconds)."""

from __future__ import annotations

import statistics
import time

from infercost.timing import Timer, TimerConfig


def noop() -> None:
    return None


def per_call_cost(calls: int) -> float:
    config = TimerConfig(min_calls=calls, min_time_s=0.0, max_calls=calls, max_time_s=86_400, warmup_calls=0,
                         warmup_time_s=0.0, ci_rel=0.0)
    start = time.perf_counter()
    measurement = Timer(noop, config=config).measure()
    wall = time.perf_counter() - start
    return wall / (len(measurement.samples_s) + 1)


def main() -> None:
    runs = [per_call_cost(200_000) for _ in range(7)]
    print("timer cost per timed call (wall time of the whole loop / calls), 7 runs of 200,000 calls:")
    print(f"  median {statistics.median(runs) * 1e6:.3f} us   min {min(runs) * 1e6:.3f} us   "
          f"max {max(runs) * 1e6:.3f} us   target < 5 us")


if __name__ == "__main__":
    main()
