"""Telling an out-of-memory failure apart, from an exception or from what a dead worker last wrote.

Core layer: standard library only, so the workers in other frameworks' environments use the same rule.
"""

from __future__ import annotations

MARKERS = ("out of memory", "can't allocate memory", "cannot allocate memory", "bad_alloc", "failed to allocate",
           "not enough memory", "resource exhausted", "memoryerror")


def says_oom(text: str) -> bool:
    """Whether an error message or a stderr tail says memory ran out."""
    lowered = text.lower()
    return any(marker in lowered for marker in MARKERS)


def looks_like_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or says_oom(str(exc))
