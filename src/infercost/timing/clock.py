"""Clocks: the real one waits for the device inside the clock; the fake one makes timer tests deterministic.

Core layer (timing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock."""

    def sync(self) -> None:
        """Wait until all work queued on the device has finished."""


class DeviceClock:
    """perf_counter plus the device's synchronize, so asynchronous GPU work is inside the measured time."""

    def __init__(self, sync: Callable[[], None] | None = None) -> None:
        self.now = time.perf_counter
        self.sync = sync or _no_sync


def _no_sync() -> None:
    return None


class FakeClock:
    """A clock that advances only when a fake model call says so: `advance(dt)` or a scripted list of durations."""

    def __init__(self, durations: Iterable[float] = ()) -> None:
        self.t = 0.0
        self._durations = iter(durations)

    def now(self) -> float:
        return self.t

    def sync(self) -> None:
        return None

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def step(self) -> None:
        """Advance by the next scripted duration (the fake model's 'call')."""
        self.t += next(self._durations)
