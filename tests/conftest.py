"""Shared fixtures: tiny cases, fast timer settings, a temporary results directory."""

from __future__ import annotations

import pytest

from infercost.timing import TimerConfig


@pytest.fixture
def fast_timer() -> TimerConfig:
    return TimerConfig(min_calls=3, min_time_s=0.0, max_calls=5, max_time_s=2.0, warmup_calls=1, warmup_time_s=0.0)
