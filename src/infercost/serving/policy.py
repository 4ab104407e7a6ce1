"""Batching policies: none (one request per call) or dynamic (up to max_batch, waiting at most max_delay)."""

from __future__ import annotations

from dataclasses import dataclass

from infercost.errors import UsageError


@dataclass(frozen=True)
class Policy:
    max_batch: int = 1
    max_delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_delay_s < 0:
            raise UsageError("max batch must be at least 1 and max delay not negative")

    @property
    def name(self) -> str:
        if self.max_batch == 1:
            return "batch-1"
        return f"dynamic (max batch {self.max_batch}, max delay {self.max_delay_s * 1e3:g} ms)"

    @classmethod
    def none(cls) -> Policy:
        return cls(1, 0.0)
