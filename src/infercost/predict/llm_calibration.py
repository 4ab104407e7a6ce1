"""Generation's calibration: how much slower (or faster) than its roofline prediction each serving stack's prefill
and decode run on each chip generation, fitted to published LLM measurements (predict/published_llm.py), and the
bands on TTFT, TPOT and throughput that leaving each accelerator out in turn measured.

Domain layer (predict). Each checked row says, in log terms, how far its prediction's time is from the measured time
(`Evidence.wanted`), and how much of that time is prefill and how much decode (`share_prefill`). The factor a
prediction's prefill (or decode) time is multiplied by is exp(global + stack effect + generation effect); the
effects are shrunk towards zero by a ridge, so a stack or a generation seen in few rows moves its factor little and
one never seen (a new chip, a stack not published) takes the global factor alone. Rows far off count less (Huber
weights), so a mislabelled row can't drag a stack; a stack's rows weigh as STACK_ROWS rows at most, so the global
factor (the one a stack never published takes) is the typical stack's, not the most published one's.

The shipped fit (predict/data/llm-calibration.json) is written by `write_shipped` from every usable row; the
validation (commands/generation_validation.py) refits without the rows it holds out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

RIDGE = 4.0  # the shrinkage of each effect, in rows' worth of evidence
STACK_ROWS = 50  # the most rows' worth of evidence one stack carries in the fit
HUBER = 0.3  # log-ratio beyond which a row's weight falls off
BAND_QUANTILE = 0.85  # a band holds this share of the held-out rows' errors
PHASES = ("prefill", "decode")
SHIPPED = "llm-calibration.json"


@dataclass(frozen=True)
class Evidence:
    """One checked row for the fit: log(measured time / predicted time) at factors of one, and the prediction's
    share of prefill in its time (1 for a TTFT, 0 for a TPOT, between for a throughput)."""

    stack: str
    generation: str
    share_prefill: float
    wanted: float


@dataclass(frozen=True)
class Factors:
    """Times a prediction's prefill and decode are multiplied by, and where they come from."""

    prefill: float = 1.0
    decode: float = 1.0
    source: str = "not calibrated"


@dataclass
class Fit:
    """Per phase: the global log factor, and the stacks' and generations' effects on it."""

    globals: dict = field(default_factory=lambda: {p: 0.0 for p in PHASES})
    stacks: dict = field(default_factory=lambda: {p: {} for p in PHASES})
    generations: dict = field(default_factory=lambda: {p: {} for p in PHASES})
    rows: int = 0

    def factors(self, stack: str | None = None, generation: str | None = None) -> Factors:
        logs = {p: self.globals[p] + self.stacks[p].get(stack, 0.0) + self.generations[p].get(generation, 0.0)
                for p in PHASES}
        known = [what for what, table in (("stack " + str(stack), self.stacks["decode"]),
                                          ("generation " + str(generation), self.generations["decode"]))
                 if what.split(" ", 1)[1] in table]
        source = (f"fitted to {self.rows} published LLM rows" + (f" ({', '.join(known)})" if known else
                                                                 " (global: no row of this stack or generation)"))
        return Factors(math.exp(logs["prefill"]), math.exp(logs["decode"]), source)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "globals": self.globals, "stacks": self.stacks, "generations": self.generations}

    @classmethod
    def from_dict(cls, data: dict) -> Fit:
        return cls(data["globals"], data["stacks"], data["generations"], data["rows"])


def fit(evidence: list[Evidence]) -> Fit:
    """The ridge fit of the log factors (iteratively reweighted, Huber)."""
    if not evidence:
        return Fit()
    stacks = sorted({e.stack for e in evidence})
    generations = sorted({e.generation for e in evidence})
    columns = (["g"] + [f"s:{s}" for s in stacks] + [f"c:{c}" for c in generations])
    index = {name: i for i, name in enumerate(columns)}
    width = len(columns)
    x = np.zeros((len(evidence), 2 * width))
    for i, e in enumerate(evidence):
        for offset, share in ((0, e.share_prefill), (width, 1 - e.share_prefill)):
            for name in ("g", f"s:{e.stack}", f"c:{e.generation}"):
                x[i, offset + index[name]] = share
    y = np.array([e.wanted for e in evidence])
    penalty = np.full(2 * width, RIDGE)
    penalty[[0, width]] = 1e-6  # the globals are not shrunk
    # A stack's rows weigh as STACK_ROWS rows at most: the global factor is the typical stack's, not the most
    # published one's, and a stack of few rows still counts as few.
    per_stack = {s: sum(e.stack == s for e in evidence) for s in stacks}
    balance = np.array([min(per_stack[e.stack], STACK_ROWS) / per_stack[e.stack] for e in evidence])
    weights = np.ones(len(y))
    beta = np.zeros(2 * width)
    for _ in range(8):
        w = np.sqrt(weights * balance)
        a = np.vstack([x * w[:, None], np.diag(np.sqrt(penalty))])
        b = np.concatenate([y * w, np.zeros(2 * width)])
        beta = np.linalg.lstsq(a, b, rcond=None)[0]
        residual = np.abs(y - x @ beta)
        weights = np.where(residual <= HUBER, 1.0, HUBER / np.maximum(residual, 1e-12))
    found = Fit(rows=len(evidence))
    for phase, offset in (("prefill", 0), ("decode", width)):
        found.globals[phase] = float(beta[offset])
        found.stacks[phase] = {s: float(beta[offset + index[f"s:{s}"]]) for s in stacks}
        found.generations[phase] = {c: float(beta[offset + index[f"c:{c}"]]) for c in generations}
    return found


def band(log_errors: list[float]) -> float:
    """The half-width, in log terms, that holds BAND_QUANTILE of these held-out errors."""
    return float(np.quantile(np.abs(log_errors), BAND_QUANTILE)) if log_errors else math.log(1.5)


@dataclass(frozen=True)
class Calibration:
    """The shipped fit and the validated bands (log half-widths) on TTFT, TPOT and throughput."""

    fit: Fit
    bands: dict
    validation: dict

    def band_source(self, metric: str) -> str:
        v = self.validation.get(metric, {})
        high, low = math.exp(self.bands[metric]) - 1, 1 - math.exp(-self.bands[metric])
        return (f"validated: {BAND_QUANTILE:.0%} of the errors on {v.get('points', 0)} published {metric} rows, each "
                f"predicted with its accelerator left out of the fit, fall within +{high:.0%}/-{low:.0%} "
                f"(median error {v.get('median_error', 0):.0%}; infercost "
                f"predict --validate-published --kind generation)")


_LOADED: list[Calibration] = []


def shipped() -> Calibration | None:
    """The calibration shipped with the package, or None where it hasn't been written."""
    if not _LOADED:
        path = resources.files("infercost.predict").joinpath("data", SHIPPED)
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        _LOADED.append(Calibration(Fit.from_dict(data["fit"]), data["bands"], data["validation"]))
    return _LOADED[0]


def write_shipped(calibration: Calibration, path: Path | None = None) -> Path:
    target = path or Path(str(resources.files("infercost.predict").joinpath("data", SHIPPED)))
    target.write_text(json.dumps({"fit": calibration.fit.to_dict(), "bands": calibration.bands,
                                  "validation": calibration.validation}, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    _LOADED.clear()
    return target
