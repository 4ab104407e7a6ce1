"""How a case is timed: a replaceable device-synchronised clock, the timer's stopping rule, pure statistics.

Core layer (timing).
"""

from infercost.timing.clock import Clock, DeviceClock, FakeClock
from infercost.timing.stats import Stats, summarize
from infercost.timing.timer import Measurement, Timer, TimerConfig

__all__ = ["Clock", "DeviceClock", "FakeClock", "Measurement", "Stats", "Timer", "TimerConfig", "summarize"]
