"""What the commands that answer return: frozen, typed results with `to_dict()` for --json, as Record is.

Command layer. The JSON keys are the fields, unchanged (tests/test_json_keys.py compares them key for key); a
field a result does not have on its path (a roofline prediction's low band, a simulation's warning) is left out of
to_dict rather than written as null.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    """A command's answer: frozen, no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_dict(self) -> dict:
        """The fields this result has, as the JSON keys scripts read."""
        return self.model_dump(exclude_unset=True)


class ModelPrediction(Result):
    """A model predicted on hardware not measured: latency with its band, throughput, memory, and what it was
    calibrated on; with `generation`, TTFT and TPOT (predict/generation.py)."""

    model: str
    accelerator: str
    instance: str | None
    precision: str
    batch_size: int
    height: int | None
    width: int | None
    seq_len: int | None
    size: str
    latency_s: float | None
    latency_low_s: float | None
    latency_high_s: float | None
    throughput_per_s: float | None
    bound: str | None
    fits_in_memory: bool | None
    memory_needed_bytes: float | None
    replicas: int
    supported: bool
    note: str | None
    predicted: bool
    stack: str | None
    calibrated_from: str | None
    efficiency: str | None
    error_band: float | None
    error_band_low: float | None = None  # the published corpus's band is asymmetric: its low side apart
    error_band_source: str | None
    calibration: dict | None
    generation: dict | None = None


class StreamServed(Result):
    """A request stream served from a measured latency curve (simulate): one policy's percentiles, capacity,
    replicas and bill, and batch-1 against dynamic batching beside it (`comparison`, rows of the same fields)."""

    policy: str
    qps: float
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    throughput_per_s: float
    utilization: float
    mean_queue_length: float
    mean_batch: float
    slo_s: float
    percentile: float
    slo_met: bool | None
    over_slo_fraction: float | None
    max_qps_under_slo: float
    replicas: int | None
    feasible: bool
    monthly_cost_usd: float | None
    cost_per_inference_usd: float | None
    extrapolated: bool
    curve: str
    reason: str | None
    comparison: list[dict]
    instance: str | None
    warning: str | None = None


class GenerationServed(Result):
    """A language model served with continuous batching from its generation records (simulate --output-len)."""

    model: str
    stack: str
    backend: str
    precision: str
    device: str
    qps: float
    ttft_p50_s: float
    ttft_p99_s: float
    tpot_p50_s: float
    tpot_p99_s: float
    goodput_per_s: float
    met_fraction: float
    max_qps_under_slo: float
    replicas: int | None
    monthly_cost_usd: float | None
    cost_per_million_output_tokens: float | None
    mean_output_tokens: float
    kv_budget_tokens: int
    step_token_budget: int
    step_cost: dict
    instance: str | None = None


class LoadTested(Result):
    """The real model under open-loop Poisson arrivals, measured and simulated side by side (loadtest)."""

    qps: float
    policy: str
    duration_s: float
    requests: int
    p50_s: float
    p90_s: float
    p99_s: float
    p99_ci95_s: list[float] | tuple[float, float]
    p99_ci95_method: str
    max_s: float
    throughput_per_s: float
    utilization: float
    mean_batch: float
    slo_s: float | None
    slo_met: bool | None
    over_slo_fraction: float | None
    curve_idle_s: float
    simulated: dict
    simulated_warmup_shuffled: dict
    simulated_from_curve: dict
    warmup_s: float
    blocks: int
    capacity_per_s: float
    curve: dict
    scenarios: dict
    stack: dict


class GenerationLoadTested(Result):
    """A language model generated for real with continuous batching, and the same arrivals simulated (loadtest
    --output-len)."""

    model: str
    precision: str
    qps: float
    requests: int
    measured: dict
    measured_ci95: dict
    simulated: dict
    capacity_per_s: float
    kv_budget_tokens: int
    mean_decode_batch: float
    step_cost: dict
    span_s: float


class Candidate(Result):
    """One instance ranked for serving a model under a latency target (recommend): measured or predicted, its
    cheapest feasible deployment, or the reason it has none."""

    instance: str
    provider: str | None
    accelerator: str | None
    stack: str | None
    precision: str | None
    batch_policy: str | None
    replicas: int | None
    p99_s: float | None
    cost_per_inference_usd: float | None
    monthly_cost_usd: float | None
    source: str
    error_band: float | None
    feasible: bool
    reason: str | None
    stack_note: str | None
    tie_with_cheapest: bool | None = None


class GenerationCandidate(Result):
    """One instance ranked for serving a language model (recommend --output-len), by cost per million output
    tokens under p99 TTFT and TPOT targets."""

    instance: str
    provider: str
    accelerator: str
    source: str
    feasible: bool
    reason: str | None
    precision: str | None = None
    tp: int | None = None  # accelerators per replica (tensor parallelism)
    replicas: int | None = None
    ttft_p99_s: float | None = None
    tpot_p99_s: float | None = None
    max_qps_per_replica: float | None = None
    monthly_cost_usd: float | None = None
    cost_per_million_output_tokens: float | None = None
    error_band: float | None = None


class CostRow(Result):
    """One measured point priced (cost --results): its cost per inference and monthly bill, or why it can't be
    priced (a machine whose instance nothing names)."""

    model: str
    backend: str
    device: str
    precision: str
    height: int | None
    width: int | None
    size: str
    case_id: str
    batch_size: int
    latency_s: float
    priced: bool
    reason: str | None = None
    instance: str | None = None
    price_per_hour_usd: float | None = None
    throughput_per_s: float | None = None
    cost_per_inference_usd: float | None = None
    cost_per_million_usd: float | None = None
    inferences_per_usd: float | None = None
    monthly_price_usd: float | None = None
    monthly_capacity: float | None = None
    pricing: str | None = None
    instances_needed: int | None = None
    monthly_cost_usd: float | None = None
