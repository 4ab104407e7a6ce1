"""`infercost cost` and `infercost catalog`: price a latency or every ok point of stored results.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from infercost.commands.result_types import CostRow
from infercost.env import fingerprint
from infercost.errors import UsageError
from infercost.pricing.catalog import Catalog, Instance
from infercost.pricing.cost import CostEstimate, estimate
from infercost.results import Record, load_records, machine_id


def resolve_price(catalog: Catalog, instance: str | None, price_per_hour: float | None,
                  *, spot: bool) -> tuple[str | None, float | None]:
    """(instance name, price per hour) from --price-per-hour or --instance; (None, None) when neither is given."""
    if price_per_hour is not None:
        if price_per_hour <= 0:
            raise UsageError(f"--price-per-hour must be positive, got {price_per_hour}")
        return instance, price_per_hour
    if instance:
        return instance, catalog.instance(instance).price(spot)
    from infercost.env import instance_type

    here = instance_type()  # the DMI product name, where the cloud puts the instance type
    if here and here in catalog.instances:
        return here, catalog.instance(here).price(spot)
    return None, None


def _one_volume(qps: float | None, monthly_requests: float | None) -> None:
    if qps is not None and monthly_requests is not None:
        raise UsageError("give --qps or --monthly-requests, not both")


def cost_from_latency(catalog: Catalog, *, latency_ms: float, batch: int = 1, instance: str | None = None,
                      price_per_hour: float | None = None, spot: bool = False, qps: float | None = None,
                      monthly_requests: float | None = None) -> CostEstimate:
    """One latency priced: cost per inference, the monthly price, and with a volume the instances needed at full
    load (no latency target; `recommend` sizes under one, starting from the same count)."""
    _one_volume(qps, monthly_requests)
    if latency_ms is None:
        raise UsageError("give --latency-ms MS (with --instance or --price-per-hour) or --results DIR")
    name, price = resolve_price(catalog, instance, price_per_hour, spot=spot)
    if price is None:
        raise UsageError("this machine's instance type is unknown: give --instance NAME or --price-per-hour X")
    return estimate(price, latency_ms / 1e3, batch, instance=name, spot=spot, qps=qps,
                    monthly_requests=monthly_requests)


def machine_prices(catalog: Catalog, records: list[Record], instance: str | None, *, price_per_hour: float | None,
                   spot: bool) -> dict[str, tuple[str, float] | None]:
    """(name, price per hour) for each machine in the records, by machine_id. An explicit --instance or
    --price-per-hour is this machine's (or the only machine's); every other machine, a cluster node kind for one, is
    priced by the instance type its own fingerprint names; None where nothing names a price."""
    here = machine_id(fingerprint())
    machines = {machine_id(r.env): r.env for r in records}
    name, price = resolve_price(catalog, instance, price_per_hour, spot=spot)
    prices: dict[str, tuple[str, float] | None] = {}
    for mid, env in machines.items():
        own = env.get("instance_type")
        if price is not None and (mid == here or len(machines) == 1):
            prices[mid] = (name or env.get("node_kind") or "this machine", price)
        elif own in catalog.instances:
            prices[mid] = (own, catalog.instance(own).price(spot))
        else:
            prices[mid] = None
    return prices


def cost_from_results(catalog: Catalog, results: str, instance: str | None, *, price_per_hour: float | None,
                      spot: bool, qps: float | None, monthly_requests: float | None) -> list[CostRow]:
    """Every ok record priced; records from a machine that can't be priced say so rather than guess."""
    _one_volume(qps, monthly_requests)
    records = load_records(results)
    prices = machine_prices(catalog, records, instance, price_per_hour=price_per_hour, spot=spot)
    rows = []
    for record in records:
        if not record.ok or not record.latency_s:
            continue
        row = {"model": record.model, "backend": record.backend, "device": record.device,
               "precision": record.precision, "height": record.height, "width": record.width,
               "size": record.size_label, "case_id": record.case_id}
        priced = prices[machine_id(record.env)]
        if priced is None:
            rows.append(CostRow(**row, batch_size=record.batch_size, latency_s=record.latency_s, priced=False,
                                reason=_unpriced(record, len(prices) == 1)))
            continue
        cost = estimate(priced[1], record.latency_s, record.batch_size, instance=priced[0], spot=spot, qps=qps,
                        monthly_requests=monthly_requests)
        rows.append(CostRow(**row, **cost.model_dump(), priced=True))
    return rows


def _unpriced(record: Record, only_machine: bool) -> str:
    if only_machine or machine_id(record.env) == machine_id(fingerprint()):
        return "unknown instance: pass --instance NAME or --price-per-hour X"
    return f"machine {record.env.get('node_kind') or record.env.get('host')} names no catalog instance"


def catalog_rows(catalog: Catalog, provider: str | None, accelerator: str | None) -> list[Instance]:
    if accelerator and accelerator not in catalog.accelerators and not any(
            (i.cpu or "").lower() == accelerator.lower() for i in catalog.instances.values()):
        catalog.accelerator(accelerator)  # raises with the closest names
    return catalog.listing(provider, accelerator)


def show(catalog: Catalog, name: str) -> dict:
    """An instance with its accelerator's (or CPU's) figures, or an accelerator alone."""
    if name in catalog.accelerators:
        return {"accelerator": catalog.accelerators[name].model_dump()}
    instance = catalog.instance(name)
    chip = instance.accelerator or instance.cpu
    detail = catalog.accelerators[chip].model_dump() if chip in catalog.accelerators else None
    return {"instance": instance.model_dump(), "accelerator": detail}
