"""The result record, schema infercost.result/1: one JSON object per measured (or failed) point.

Core layer (results).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from infercost.case import Case
from infercost.timing.stats import Stats, summarize

SCHEMA = "infercost.result/1"
STATUSES = ("ok", "oom", "timeout", "error", "unsupported", "skipped")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


class Record(BaseModel):
    schema_: str = Field(SCHEMA, alias="schema")
    run_id: str
    case_id: str
    model: str
    backend: str
    device: str
    precision: str
    batch_size: int
    height: int
    width: int
    channels_last: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    status: str
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    cold_start_s: float | None = None
    load_s: float | None = None
    samples_s: list[float] = Field(default_factory=list)
    stats: Stats | None = None
    throughput_per_s: float | None = None
    peak_memory_bytes: int | None = None
    flops: int | None = None
    params: int | None = None
    achieved_flops_per_s: float | None = None
    timing: dict[str, Any] = Field(default_factory=dict)
    stack: dict[str, Any] = Field(default_factory=dict)
    accuracy: dict[str, Any] | None = None
    accuracy_ok: bool | None = None
    fraction_of_peak: float | None = None
    selection: dict[str, Any] | None = None  # --backend auto: what was tried, how long each took, the winner
    started_at: str
    finished_at: str | None = None
    env: dict[str, Any] = Field(default_factory=dict)

    model_config = {"populate_by_name": True}

    @classmethod
    def for_case(cls, case: Case, run_id: str, status: str, env: dict, **fields: Any) -> Record:
        data = case.to_dict()
        fields.setdefault("started_at", now_iso())
        return cls(run_id=run_id, case_id=case.case_id, status=status, env=env, **data, **fields)

    @property
    def case(self) -> Case:
        return Case(model=self.model, backend=self.backend, device=self.device, precision=self.precision,
                    batch_size=self.batch_size, height=self.height, width=self.width,
                    channels_last=self.channels_last, options=tuple(sorted(self.options.items())))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def latency_s(self) -> float | None:
        """The headline latency: the median (the classic 'seed' method reports its mean)."""
        return self.stats.headline_s(self.timing.get("method")) if self.stats else None

    @property
    def megapixels(self) -> float:
        return self.height * self.width / 1e6

    @property
    def tokens(self) -> int | None:
        """The sequence length a token point was measured at (None for an image)."""
        return self.case.seq_len(0) or None

    @property
    def size(self) -> float:
        """The point's place on its model's own size axis: tokens for a sequence, megapixels for an image."""
        return float(self.tokens) if self.tokens else self.megapixels

    @property
    def size_label(self) -> str:
        return f"seq {self.tokens}" if self.tokens else f"{self.width}x{self.height}"

    def with_samples(self, samples: list[float]) -> Record:
        """Derive the statistics and throughput from raw samples (never stored alone)."""
        stats = summarize(samples)
        latency = stats.headline_s(self.timing.get("method"))
        return self.model_copy(update={"samples_s": samples, "stats": stats,
                                       "throughput_per_s": self.batch_size / latency if latency > 0 else None})

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)


def stack_label(r: Record) -> str:
    """How tables and figures name a record's stack: backend and precision, and where it ran."""
    return f"{r.backend} {r.precision}" + (f" ({r.device})" if r.device != "cpu" else "") + \
        (f" on {r.env['node_kind']}" if r.env.get("node_kind") else "")
