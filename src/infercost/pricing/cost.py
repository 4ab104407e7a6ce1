"""The cost model, as pure functions: latency and price in, cost per inference and the monthly bill out.

Domain layer (pricing).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, field_validator

from infercost import limits
from infercost.month import HOURS_PER_MONTH, SECONDS_PER_MONTH  # noqa: F401 - the month, re-exported


def throughput(batch_size: int, latency_s: float) -> float:
    """Inferences per second of one instance running batches of `batch_size` back to back."""
    limits.LATENCY_MS.check("latency (ms)", latency_s * 1e3)
    limits.BATCH.check("batch size", batch_size)
    return batch_size / latency_s


def cost_per_inference(price_per_hour: float, throughput_per_s: float) -> float:
    _check_price(price_per_hour)
    return price_per_hour / 3600.0 / throughput_per_s


def monthly_price(price_per_hour: float) -> float:
    return price_per_hour * HOURS_PER_MONTH


def monthly_cost(price_per_hour: float, instances: int = 1) -> float:
    """The bill for `instances` running all month."""
    return instances * monthly_price(price_per_hour)


def cost_per_request(monthly_cost_usd: float, qps: float) -> float:
    """What each request of a steady `qps` stream costs when the bill is `monthly_cost_usd`."""
    return monthly_cost_usd / (qps * SECONDS_PER_MONTH)


def instances_for(replicas: int, per_instance: int = 1) -> int:
    """Whole instances to host `replicas` replicas, `per_instance` on each (one per accelerator)."""
    return math.ceil(replicas / per_instance)


def cost_per_million_tokens(monthly_cost_usd: float, tokens_per_s: float) -> float:
    """What a million tokens cost when the bill is `monthly_cost_usd` and `tokens_per_s` are served all month."""
    return monthly_cost_usd / (tokens_per_s * SECONDS_PER_MONTH) * 1e6


def monthly_capacity(throughput_per_s: float) -> float:
    """Inferences one instance serves in a month at full load."""
    return throughput_per_s * SECONDS_PER_MONTH


def instances_needed(throughput_per_s: float, qps: float | None = None,
                     monthly_requests: float | None = None) -> int:
    """Whole instances to serve a rate or a monthly volume at full load, with no latency target (at least one).
    Under a latency target, serving.capacity.replicas_for starts from this count and adds replicas until the
    percentile holds, so the two agree when the target is loose."""
    if qps is not None:
        rate = limits.QPS.check("request rate", qps)
    else:
        rate = limits.MONTHLY_REQUESTS.check("monthly requests", monthly_requests) / SECONDS_PER_MONTH
    return max(1, math.ceil(rate / throughput_per_s - 1e-9))


def _check_price(price_per_hour: float | None) -> None:
    limits.PRICE_PER_HOUR.check("price per hour", price_per_hour)


class CostEstimate(BaseModel):
    instance: str | None
    price_per_hour_usd: float
    batch_size: int
    latency_s: float
    throughput_per_s: float
    cost_per_inference_usd: float
    cost_per_million_usd: float
    inferences_per_usd: float
    monthly_price_usd: float
    monthly_capacity: float
    pricing: str
    instances_needed: int | None = None
    monthly_cost_usd: float | None = None

    @field_validator("*", mode="after")
    @classmethod
    def _significant(cls, value: object) -> object:
        """12 significant digits: enough for any price, and 3.06 * 0.25 / 3600 prints as 0.0002125."""
        return float(f"{value:.12g}") if isinstance(value, float) else value

    def to_dict(self) -> dict:
        """Its --json: every field."""
        return self.model_dump()


def estimate(price_per_hour: float, latency_s: float, batch_size: int = 1, *, instance: str | None = None,
             spot: bool = False, qps: float | None = None, monthly_requests: float | None = None) -> CostEstimate:
    _check_price(price_per_hour)
    rate = throughput(batch_size, latency_s)
    per_inference = cost_per_inference(price_per_hour, rate)
    needed = None
    if qps is not None or monthly_requests is not None:
        needed = instances_needed(rate, qps, monthly_requests)
    return CostEstimate(
        instance=instance, price_per_hour_usd=price_per_hour, batch_size=batch_size, latency_s=latency_s,
        throughput_per_s=rate, cost_per_inference_usd=per_inference, cost_per_million_usd=per_inference * 1e6,
        inferences_per_usd=1 / per_inference, monthly_price_usd=monthly_price(price_per_hour),
        monthly_capacity=monthly_capacity(rate), pricing="spot" if spot else "on-demand",
        instances_needed=needed, monthly_cost_usd=needed * monthly_price(price_per_hour) if needed else None,
    )
