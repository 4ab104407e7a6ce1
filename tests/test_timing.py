"""The timer's stopping rule and statistics, against a fake clock: deterministic, no real timing."""

from __future__ import annotations

import math
import random

import pytest

from infercost.timing import FakeClock, Timer, TimerConfig, summarize
from infercost.timing.stats import ci_within, median_ci, percentile


def fake_model(clock: FakeClock):
    return clock.step


def test_cold_start_is_recorded_on_its_own():
    clock = FakeClock([5.0] + [0.1] * 1000)
    m = Timer(fake_model(clock), clock, TimerConfig(warmup_calls=2, warmup_time_s=0)).measure()
    assert m.cold_start_s == 5.0
    assert 5.0 not in m.samples_s
    assert m.warmup_calls == 2


def test_stops_when_ci_is_tight_after_min_calls_and_time():
    clock = FakeClock([1.0] + [0.1] * 1000)
    m = Timer(fake_model(clock), clock, TimerConfig(warmup_calls=1, warmup_time_s=0)).measure()
    # Constant samples: the CI is tight at once, so it stops at the first check after 10 calls and 1 s.
    assert len(m.samples_s) == 10
    assert math.isclose(sum(m.samples_s), 1.0)
    assert m.stop_reason.startswith("median 95% CI")
    assert m.warnings == []


def test_min_time_keeps_fast_calls_going():
    clock = FakeClock([0.001] * 5000)
    m = Timer(fake_model(clock), clock, TimerConfig(warmup_calls=1, warmup_time_s=0, max_calls=10_000)).measure()
    assert sum(m.samples_s) >= 1.0
    assert len(m.samples_s) >= 1000


def test_noisy_samples_run_to_the_cap_with_warnings():
    rng = random.Random(7)
    durations = [1.0] + [rng.uniform(0.05, 0.15) for _ in range(10_000)]
    clock = FakeClock(durations)
    config = TimerConfig(warmup_calls=1, warmup_time_s=0, max_calls=40, max_time_s=100, ci_rel=0.0001)
    m = Timer(fake_model(clock), clock, config).measure()
    assert len(m.samples_s) == 40
    assert m.stop_reason == "call cap (40 calls)"
    assert any(w.startswith("noisy: coefficient of variation is") for w in m.warnings)
    assert any("before the median's CI" in w for w in m.warnings)


def test_time_cap():
    clock = FakeClock([0.5] * 100)
    config = TimerConfig(warmup_calls=0, warmup_time_s=0, min_calls=50, max_time_s=3.0)
    m = Timer(fake_model(clock), clock, config).measure()
    assert len(m.samples_s) == 6
    assert m.stop_reason == "time cap (3 s)"


def test_seed_method_is_eleven_calls_mean_of_last_ten():
    durations = [9.0] + [float(i) for i in range(1, 11)] + [99.0]
    clock = FakeClock(durations)
    m = Timer(fake_model(clock), clock, TimerConfig(method="seed")).measure()
    assert m.cold_start_s == 9.0
    assert m.samples_s == [float(i) for i in range(1, 11)]
    assert m.latency_s == 5.5


def test_device_sync_is_inside_the_clock():
    clock = FakeClock()
    calls = []

    class SyncClock(FakeClock):
        def sync(self):
            calls.append("sync")
            self.advance(0.25)  # the device finishes its queued work only now

    clock = SyncClock()
    m = Timer(lambda: clock.advance(0.0), clock, TimerConfig(method="seed")).measure()
    assert all(s == 0.25 for s in m.samples_s)
    assert len(calls) == 11


def test_summarize_matches_definitions():
    samples = [3.0, 1.0, 2.0, 4.0, 100.0]
    s = summarize(samples)
    assert s.n == 5 and s.median_s == 3.0 and s.min_s == 1.0 and s.max_s == 100.0
    assert s.mean_s == pytest.approx(22.0)
    assert s.stdev_s == pytest.approx(math.sqrt(sum((x - 22) ** 2 for x in samples) / 4))
    assert s.p90_s == pytest.approx(percentile(sorted(samples), 90))
    assert s.ci95_low_s <= s.median_s <= s.ci95_high_s


def test_percentile_interpolates_like_numpy():
    np = pytest.importorskip("numpy")
    data = sorted(random.Random(1).random() for _ in range(37))
    for q in (0, 10, 50, 90, 95, 99, 100):
        assert percentile(data, q) == pytest.approx(float(np.percentile(data, q)))


def test_median_ci_narrows_with_more_samples():
    rng = random.Random(3)
    small = sorted(rng.gauss(1, 0.1) for _ in range(20))
    large = sorted(rng.gauss(1, 0.1) for _ in range(2000))
    assert (median_ci(large)[1] - median_ci(large)[0]) < (median_ci(small)[1] - median_ci(small)[0])
    assert ci_within(large, 0.02) and not ci_within(small, 0.01)
