"""What a measuring child process does to itself: cap its memory, and end when its parent ends. Standard library
only, so that workers in other Python environments (MXNet, TensorFlow) can use it too.

Core layer (process).
"""

from __future__ import annotations

import resource
import signal
import sys
from pathlib import Path


def limit_memory(limit_bytes: int) -> None:
    """A hard cap on the data segment, above what the runtime's imports already hold."""
    baseline = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmData:"):
            baseline = int(line.split()[1]) * 1024
            break
    cap = baseline + limit_bytes
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def die_with_parent() -> None:
    """Linux: end this child when the process that spawned it dies (a killed study, a lost Ray worker), since it runs
    in a session of its own and would otherwise keep a core busy."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
