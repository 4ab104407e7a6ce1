"""The result record, schema infercost.result/2: one JSON object per measured (or failed) point.

Version 2 added the case's inputs (names, types, symbolic shapes) and let a token point go without an image size;
a version 1 record still reads: its token points lose the 1x1 image size they carried.

Core layer (results).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field, model_validator

from infercost.case import Case
from infercost.inputs import SEQ_NAMES, Input
from infercost.timing.stats import Stats, summarize

SCHEMA = "infercost.result/2"
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
    height: int | None = None
    width: int | None = None
    channels_last: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    inputs: list[dict[str, Any]] = Field(default_factory=list)  # empty: the model's one image batch
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
    generation: dict[str, Any] | None = None  # a generation case: TTFT, TPOT, ITL, tokens/s (generation/metrics.py)
    started_at: str
    finished_at: str | None = None
    env: dict[str, Any] = Field(default_factory=dict)

    model_config = {"populate_by_name": True}

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """A version 1 token point carried a 1x1 image size beside its sequence binding: drop it, name the inputs
        generically (the ids; which others the model took was not recorded). The stored case id is kept."""
        if not isinstance(data, dict) or not str(data.get("schema", "")).endswith("/1"):
            return data
        dims = str((data.get("options") or {}).get("dims") or "")
        if data.get("height") == 1 and data.get("width") == 1 and any(f"{n}=" in dims for n in SEQ_NAMES):
            data = {**data, "height": None, "width": None,
                    "inputs": [{"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]}]}
        return data

    @classmethod
    def for_case(cls, case: Case, run_id: str, status: str, env: dict, **fields: Any) -> Record:
        data = case.to_dict()
        fields.setdefault("started_at", now_iso())
        return cls(run_id=run_id, case_id=case.case_id, status=status, env=env, **data, **fields)

    @property
    def case(self) -> Case:
        return Case(model=self.model, backend=self.backend, device=self.device, precision=self.precision,
                    batch_size=self.batch_size, height=self.height, width=self.width,
                    channels_last=self.channels_last, options=tuple(sorted(self.options.items())),
                    inputs=tuple(Input.from_dict(i) for i in self.inputs))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def latency_s(self) -> float | None:
        """The headline latency: the median (the classic 'seed' method reports its mean)."""
        return self.stats.headline_s(self.timing.get("method")) if self.stats else None

    @property
    def megapixels(self) -> float:
        """An image's megapixels; 0 for a point that took no image."""
        return self.height * self.width / 1e6 if self.height else 0.0

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
        return self.case.size_label

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
