"""Batching policies: none (one request per call) or dynamic (up to max_batch, waiting at most max_delay).

Domain layer (serving).
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost import limits
from infercost.errors import UsageError


@dataclass(frozen=True)
class Policy:
    max_batch: int = 1
    max_delay_s: float = 0.0

    def __post_init__(self) -> None:
        limits.MAX_BATCH.check("max batch", self.max_batch)
        limits.DELAY_MS.check("max delay (ms)", self.max_delay_s * 1e3)

    @property
    def name(self) -> str:
        if self.max_batch == 1:
            return "batch-1"
        return f"dynamic (max batch {self.max_batch}, max delay {self.max_delay_s * 1e3:g} ms)"

    @classmethod
    def none(cls) -> Policy:
        return cls(1, 0.0)

    @classmethod
    def named(cls, batching: str, max_batch: int = 8, max_delay_s: float = 0.005) -> Policy:
        """The policy a user names: "none" (batch 1) or "dynamic" with its maximum batch and queue delay."""
        if batching == "none":
            return cls.none()
        if batching != "dynamic":
            raise UsageError(f"unknown batching {batching!r}; use none or dynamic")
        return cls(max_batch, max_delay_s)
