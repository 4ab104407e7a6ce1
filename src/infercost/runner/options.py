"""How each case is run: the timer, the time-out, the memory cap, isolation, the output check and its tolerances.

Runtime layer (runner). One object that crosses every process boundary (a child worker, a foreign environment's
worker, a Ray task) by to_dict/from_dict, instead of each writing its own copy of the fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from infercost import limits
from infercost.results.record import new_run_id
from infercost.timing import TimerConfig


@dataclass(frozen=True)
class RunOptions:
    timer: TimerConfig = field(default_factory=TimerConfig)
    timeout_s: float = 600.0
    memory_limit_bytes: int | None = None
    isolate: bool = True  # one child process per case; False runs in this process (tests, tiny cases)
    tolerances: dict[str, float] | None = None  # relative L2 per precision; None: the defaults
    check_output: bool = True
    run_id: str = field(default_factory=new_run_id)

    def __post_init__(self) -> None:
        limits.TIMEOUT_S.check("time-out (s)", self.timeout_s)
        if self.memory_limit_bytes is not None:
            limits.MEMORY.check("memory limit (bytes)", self.memory_limit_bytes)

    def with_(self, **changes: object) -> RunOptions:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "timer": TimerConfig(**known.get("timer", {}))})
