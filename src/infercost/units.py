"""Units at the edge: "10m", "4GiB" and "250ms" become seconds and bytes here, once; the library speaks only those.

Core layer: imports nothing of infercost but errors and limits.
"""

from __future__ import annotations

import math
import re

from infercost.errors import UsageError
from infercost.limits import DURATION, MEMORY

_SIZE_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
               "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}
_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"\s*(?:{_NUMBER}h)?\s*(?:{_NUMBER}m(?!s))?\s*(?:{_NUMBER}s?)?\s*(?:{_NUMBER}ms)?\s*")


def parse_size(text: str, name: str = "memory size") -> int:
    """'4GiB' -> 4294967296; '512MB' -> 512000000. Refuses zero and sizes beyond the stated bound."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text or "")
    if not match or match.group(2).lower() not in _SIZE_UNITS or float(match.group(1)) <= 0:
        raise UsageError(f"{name} {text!r} does not parse; use e.g. 4GiB or 512MiB")
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    return int(MEMORY.check(name, size))


def parse_duration(text: str | None, name: str = "duration", allow_zero: bool = False) -> float | None:
    """'10m' -> 600; '90s', '250ms', '1h', '1h30m' and plain seconds too; None for no text."""
    if text is None or not str(text).strip():
        return None
    match = _DURATION.fullmatch(str(text))
    if not match or not any(match.groups()):
        raise UsageError(f"{name} {text!r} does not parse; use e.g. 10m, 90s, 250ms or 1h30m")
    hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds + millis / 1e3
    if total == 0 and allow_zero:
        return 0.0
    if not math.isfinite(total) or total <= 0:
        raise UsageError(f"{name} {text!r} must be positive")
    return DURATION.check(name, total)


def fmt_seconds(seconds: float | None) -> str:
    """'1.5 s', '12 ms', '850 µs'; a negative time (a fit's intercept) keeps its sign."""
    if seconds is None:
        return "-"
    if seconds < 0:
        return "-" + fmt_seconds(-seconds)
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_bytes(count: int | None) -> str:
    if count is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)
