"""Pay-per-use (serverless) offerings priced per request: CPU time, memory time and a request fee, each rate read
from data/serverless.csv (a copy of shared/reference/serverless.csv: every row with its source and date).

Domain layer (pricing). Only CPU offerings are priced: a request's duration there is this machine's measured latency
on as many vCPUs. A plan with fewer vCPUs than the measurement used runs it proportionally longer (linear scaling,
an assumption the row states); one with more is not assumed faster. GPU offerings are listed in the CSV but not
priced: their duration would be a prediction on another chip, and their cold starts were not measured.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from infercost.errors import CatalogError

GIB = 2**30
GB = 1e9


@dataclass(frozen=True)
class Rate:
    """One priced resource of an offering, as the source row states it."""

    resource: str
    unit: str
    price_usd: float
    as_of: str
    source_url: str


@dataclass(frozen=True)
class Plan:
    """How an offering bills a request: which CSV rows price its CPU, memory and requests, and its size rules."""

    name: str
    provider: str
    offering: str
    cpu: str | None  # the resource row billing CPU time (per vCPU- or core-second), None when memory time covers it
    memory: str | None  # the resource row billing memory time (GB- or GiB-second)
    requests: str | None  # the resource row of the per-request fee (per 1M)
    memory_per_vcpu_gib: float | None = None  # CPU grows with memory (Lambda: 1,769 MB a vCPU)
    max_vcpus: float = 8
    max_memory_gib: float = 32
    min_memory_gib: float = 0.5
    note: str = ""


PLANS = (
    Plan("AWS Lambda (x86)", "AWS", "Lambda (on-demand)", None, "duration x86_64", "requests",
         memory_per_vcpu_gib=1769 / 1024, max_vcpus=6, max_memory_gib=10,
         note="CPU follows memory: 1,769 MB per vCPU; init time billed as duration"),
    Plan("AWS SageMaker Serverless", "AWS", "SageMaker Serverless Inference (on-demand)", None, "inference duration",
         None, max_memory_gib=6, min_memory_gib=1,
         note="vCPUs not published: assumed as many as measured here; data fee not priced"),
    Plan("Google Cloud Run (request-based)", "Google Cloud", "Cloud Run services (request-based billing)",
         "CPU (active)", "memory (active)", "requests", max_vcpus=8, max_memory_gib=32),
    Plan("Azure Container Apps (consumption)", "Microsoft Azure", "Container Apps (Consumption)", "vCPU (active)",
         "memory (active", None, max_vcpus=4, max_memory_gib=8, note="request fee not in the source: not priced"),
    Plan("Azure Functions (consumption)", "Microsoft Azure", "Functions Consumption plan (legacy)", None,
         "execution time", "executions", max_vcpus=1, max_memory_gib=1.5),
    Plan("Modal (CPU)", "Modal", "Modal Functions (serverless)", "CPU", "memory", None, max_vcpus=64,
         max_memory_gib=256),
    Plan("Cerebrium (CPU)", "Cerebrium", "Cerebrium serverless", "CPU", "memory", None),
    Plan("Beam (CPU)", "Beam", "Beam serverless endpoints", "CPU", "RAM", None),
)


@cache
def rates() -> dict[tuple[str, str], list[Rate]]:
    """Every priced row of the shipped serverless.csv, by (provider, offering)."""
    text = resources.files("infercost.pricing").joinpath("data", "serverless.csv").read_text(encoding="utf-8")
    found: dict[tuple[str, str], list[Rate]] = {}
    for row in csv.DictReader(text.splitlines()):
        if not row["price_usd"].strip():
            continue
        found.setdefault((row["provider"], row["offering"]), []).append(
            Rate(row["resource"], row["unit"], float(row["price_usd"]), row["as_of"] or "undated",
                 row["source_url"].split(" ; ")[0]))
    return found


def _rate(plan: Plan, resource: str | None) -> Rate | None:
    if resource is None:
        return None
    for rate in rates().get((plan.provider, plan.offering), []):
        if rate.resource.startswith(resource):
            return rate
    raise CatalogError(f"serverless.csv has no priced row {resource!r} for {plan.offering}")


@dataclass(frozen=True)
class PayPerUse:
    """One offering priced for one model: the size it is configured at and what a request and a cold start cost."""

    plan: Plan
    vcpus: float
    memory_bytes: int
    duration_s: float  # one warm request
    cold_s: float  # the extra billed time of a cold start (load and first call)
    cost_per_second_usd: float
    request_fee_usd: float
    sources: tuple[Rate, ...]
    notes: tuple[str, ...]

    def monthly_cost(self, requests_per_month: float, cold_starts_per_month: float) -> float:
        billed_s = requests_per_month * self.duration_s + cold_starts_per_month * self.cold_s
        return billed_s * self.cost_per_second_usd + requests_per_month * self.request_fee_usd


def price_plan(plan: Plan, latency_s: float, cores: int, *, peak_memory_bytes: int | None,
               cold_s: float) -> PayPerUse | None:
    """The plan configured for a model measured here at `latency_s` on `cores` cores, needing `peak_memory_bytes`;
    None when the model does not fit the plan's memory."""
    memory = max(peak_memory_bytes or 0, int(plan.min_memory_gib * GIB))
    notes = [plan.note] if plan.note else []
    vcpus = min(cores, plan.max_vcpus)
    if plan.memory_per_vcpu_gib:  # configure the memory that buys the vCPUs
        memory = max(memory, int(vcpus * plan.memory_per_vcpu_gib * GIB))
    memory = int(math.ceil(memory / (128 * 2**20)) * 128 * 2**20)  # in 128 MiB steps, as the finest plans bill
    if memory > plan.max_memory_gib * GIB:
        return None
    duration = latency_s * max(1.0, cores / vcpus)
    if vcpus < cores:
        notes.append(f"{vcpus:g} vCPU: the {cores}-core latency measured here scaled linearly (an assumption)")
    cpu, mem, fee = _rate(plan, plan.cpu), _rate(plan, plan.memory), _rate(plan, plan.requests)
    per_second = 0.0
    if cpu is not None:  # a physical core is two vCPUs (Modal bills physical cores)
        per_second += cpu.price_usd * (vcpus / 2 if "physical" in cpu.unit else vcpus)
    if mem is not None:
        per_second += mem.price_usd * memory / (GIB if "GiB" in mem.unit else GB)
    request_fee = fee.price_usd / 1e6 if fee is not None else 0.0
    return PayPerUse(plan, vcpus, memory, duration, cold_s * max(1.0, cores / vcpus), per_second, request_fee,
                     tuple(r for r in (cpu, mem, fee) if r is not None), tuple(notes))


def offerings(latency_s: float, cores: int, peak_memory_bytes: int | None, *, cold_s: float) -> list[PayPerUse]:
    """Every CPU plan the model fits, configured for it."""
    return [found for plan in PLANS if (found := price_plan(plan, latency_s, cores,
                                                            peak_memory_bytes=peak_memory_bytes, cold_s=cold_s))]


def plan_rows() -> list[dict]:
    """Every plan with the rates it is priced from, for `infercost catalog pay-per-use`."""
    rows = []
    for plan in PLANS:
        rates_used = [(what, _rate(plan, name)) for what, name in (("cpu", plan.cpu), ("memory", plan.memory),
                                                                     ("requests", plan.requests)) if name]
        rows.append({"plan": plan.name, "provider": plan.provider, "offering": plan.offering,
                     "max_vcpus": plan.max_vcpus, "max_memory_gib": plan.max_memory_gib, "note": plan.note,
                     "rates": [{"what": what, "resource": r.resource, "unit": r.unit, "price_usd": r.price_usd,
                                "as_of": r.as_of, "source": r.source_url} for what, r in rates_used]})
    return rows
