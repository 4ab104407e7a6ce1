"""The answer as data: the traffic it is for (Assumptions, and the flags a user gave, Asked) and, per model, the
cheapest way to serve it for steady and for sporadic load (ModelAnswer), with the lines summary.md and
`infercost recommend` print. commands/answer.py computes it.

Domain layer (serving).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from infercost.models import CLASSIFICATION, IMAGE_TO_IMAGE, resolve_model
from infercost.models.zoo import TEXT
from infercost.serving.sporadic import SporadicLoad
from infercost.serving.target import ServingTarget
from infercost.units import fmt_seconds

# Default traffic and latency target per kind of model (steady rate in requests/s, p99 target in seconds), used
# where the study's --qps and --slo-ms are not given: an online classifier, a heavier image-to-image service, a text
# encoder behind search.
DEFAULTS = {CLASSIFICATION: (50.0, 0.1), IMAGE_TO_IMAGE: (5.0, 1.0), TEXT: (20.0, 0.2)}


@dataclass(frozen=True)
class Assumptions:
    """The traffic an answer is for; `given` names what came from flags, the rest are the documented defaults."""

    target: ServingTarget
    sporadic: SporadicLoad
    given: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"steady: {self.target.describe()}; sporadic: {self.sporadic.describe()}"

    @property
    def cold_note(self) -> str:
        """What scaling to zero does to the latency target: the first request of each burst meets a cold server."""
        share = self.sporadic.cold_fraction
        allowed = 1 - self.target.percentile / 100
        verdict = "more than" if share > allowed else "within what"
        return (f"scaled to zero, the first request of each burst (1 in {self.sporadic.burst}) waits for a cold start: "
                f"{verdict} the p{self.target.percentile:g} target allows")


@dataclass(frozen=True)
class Asked:
    """The traffic flags a user gave (--qps, --slo-ms, --traffic, --requests-per-day, --burst); None: the default
    for the model's kind (DEFAULTS)."""

    qps: float | None = None
    slo_ms: float | None = None
    traffic: str = "steady"
    sporadic: SporadicLoad = field(default_factory=SporadicLoad)
    percentile: float = 99.0

    def for_model(self, model: str) -> Assumptions:
        task = resolve_model(model).task
        default_qps, default_slo = DEFAULTS.get(task, DEFAULTS[CLASSIFICATION])
        given = tuple(name for name, value in (("--qps", self.qps), ("--slo-ms", self.slo_ms)) if value is not None)
        target = ServingTarget(self.qps or default_qps, self.slo_ms / 1e3 if self.slo_ms else default_slo,
                               self.percentile, self.traffic)
        return Assumptions(target, self.sporadic, given)


@dataclass
class ModelAnswer:
    model: str
    assumptions: Assumptions
    steady: dict | None  # the cheapest feasible candidate (a recommend row)
    steady_next: dict | None
    steady_change: str
    sporadic: list[dict] = field(default_factory=list)  # every sporadic option, cheapest first
    sporadic_change: str = ""
    sentence: str = ""  # recommend's verdict, for the steady load
    ranking: list[dict] = field(default_factory=list)  # recommend's rows: every candidate, feasible first
    size: str = ""  # the size it is served at: '224x224', 'seq 128'

    @property
    def label(self) -> str:
        """'unet at 256x256': the model and the size its answer is for."""
        return f"{self.model} at {self.size}" if self.size else self.model

    @property
    def sporadic_best(self) -> dict | None:
        return self.sporadic[0] if self.sporadic else None

    @property
    def sporadic_next(self) -> dict | None:
        return self.sporadic[1] if len(self.sporadic) > 1 else None

    def to_dict(self) -> dict:
        return {"model": self.model, "size": self.size, "assumptions": self.assumptions.describe(),
                "steady": self.steady,
                "steady_next": self.steady_next, "steady_change": self.steady_change,
                "sporadic": self.sporadic, "sporadic_change": self.sporadic_change}


def band_text(row: dict | None) -> str:
    """'measured', or a prediction's band: +-x% (on the latency; above 100%, its lower side said apart)."""
    if row is None:
        return "-"
    if row.get("source") == "measured":
        return "measured"
    band = row.get("error_band") if "error_band" in row else row.get("band")
    if band is None or not math.isfinite(band):
        return "predicted"
    return f"predicted +-{band:.0%}" if band <= 1 else f"predicted +{band:.0%}/-{1 - 1 / (1 + band):.0%}"


def steady_text(row: dict | None) -> str:
    if row is None:
        return "none meets the target"
    stack = " ".join(filter(None, [row.get("stack"), row.get("precision")]))
    return (f"{row['instance']} x{row['replicas']} ({stack}, {row['batch_policy']}): "
            f"{row['monthly_cost_usd']:,.0f} USD/month")


def sporadic_text(row: dict | None) -> str:
    if row is None:
        return "none meets the target"
    wait = f", first of a burst waits {fmt_seconds(row['first_wait_s'])}" if row.get("first_wait_s") else ""
    return f"{row['option']}: {row['monthly_cost_usd']:,.2f} USD/month{wait}"


def answer_lines(found: ModelAnswer) -> list[str]:
    """The answer in plain lines, as summary.md and `infercost recommend` print it."""
    return [f"{found.label}, steady ({found.assumptions.target.describe()}): {steady_text(found.steady)} "
            f"[{band_text(found.steady)}]; next {steady_text(found.steady_next)}; would change with "
            f"{found.steady_change}.",
            f"{found.label}, sporadic ({found.assumptions.sporadic.describe()}): {sporadic_text(found.sporadic_best)}"
            f"; next {sporadic_text(found.sporadic_next)}" + (f"; {found.sporadic_change}" if found.sporadic_change
                                                                else "") + f"; {found.assumptions.cold_note}."]
