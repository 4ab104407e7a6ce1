"""`infercost catalog` and `infercost cost`: the instances and their prices, cost per inference, the monthly bill.

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import catalog_of, cli, handled, out, print_json


@cli.group()
def catalog() -> None:
    """The catalog of cloud instances and accelerators, each row with its source and as-of date."""


@catalog.command("list")
@click.option("--provider", default=None, help="aws, gcp or azure.")
@click.option("--accelerator", default=None, help="e.g. L4, T4, or a CPU such as 'EPYC Genoa'.")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: instances and accelerators.")
@handled
def catalog_list(provider: str | None, accelerator: str | None, catalog_file: str | None, as_json: bool) -> None:
    """List instances (and, with --json, every accelerator)."""
    from infercost.commands.cost import catalog_rows

    cat = catalog_of(catalog_file)
    rows = catalog_rows(cat, provider, accelerator)
    if as_json:
        return print_json({"instances": [r.model_dump() for r in rows],
                            "accelerators": [a.model_dump() for a in cat.accelerators.values()]})
    from infercost.report.tables import catalog_table

    out.print(catalog_table(rows))
    out.print(f"{len(rows)} instances; accelerator and CPU figures: infercost catalog show NAME")


@catalog.command("pay-per-use")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def catalog_pay_per_use(as_json: bool) -> None:
    """The serverless plans sporadic load is priced on: each rate with its unit, date and source."""
    from infercost.pricing.pay_per_use import plan_rows

    rows = plan_rows()
    if as_json:
        return print_json(rows)
    from infercost.report.tables import pay_per_use_table

    out.print(pay_per_use_table(rows))
    out.print("Also in the source, not priced here: GPU offerings (their duration would be a prediction on another "
              "chip). Free tiers are not subtracted.", highlight=False)


@catalog.command("show")
@click.argument("name")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def catalog_show(name: str, catalog_file: str | None, as_json: bool) -> None:
    """One instance (with its accelerator's figures) or one accelerator."""
    from infercost.commands.cost import show

    data = show(catalog_of(catalog_file), name)
    if as_json:
        return print_json(data)
    for section, fields in data.items():
        if fields is None:
            continue
        out.print(f"[bold]{section}[/]")
        for key, value in fields.items():
            if value is not None:
                out.print(f"  {key:>24}  {value}", highlight=False, markup=False)


@cli.command()
@click.option("--instance", default=None, help="A catalog instance, e.g. p3.2xlarge (host+eia2.medium for EI).")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price this machine at X USD per hour.")
@click.option("--latency-ms", type=p.LATENCY_MS, default=None, help="Price one latency (milliseconds per batch).")
@click.option("--batch", type=p.BATCH, default=1, show_default=True, help="The batch size of that latency.")
@click.option("--results", "results_dir", default=None, help="Price every ok point of a results directory.")
@click.option("--spot", is_flag=True, help="Use the spot price.")
@click.option("--qps", type=p.QPS, default=None, help="Monthly cost of serving this many requests per second.")
@click.option("--monthly-requests", type=p.MONTHLY_REQUESTS, default=None, help="Monthly cost of this many requests.")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def cost(instance: str | None, price_per_hour: float | None, latency_ms: float | None, batch: int,
         results_dir: str | None, spot: bool, qps: float | None, monthly_requests: float | None,
         catalog_file: str | None, as_json: bool) -> None:
    """Cost per inference and the monthly bill, from a latency or from stored results."""
    from infercost.commands.cost import cost_from_latency, cost_from_results

    cat = catalog_of(catalog_file)
    if results_dir is None:
        estimate = cost_from_latency(cat, latency_ms=latency_ms, batch=batch, instance=instance,
                                     price_per_hour=price_per_hour, spot=spot, qps=qps,
                                     monthly_requests=monthly_requests)
        if as_json:
            return print_json(estimate)
        for key, value in estimate.model_dump().items():
            if value is not None:
                out.print(f"{key:>24}  {value:.6g}" if isinstance(value, float) else f"{key:>24}  {value}",
                          highlight=False, markup=False)
        return None
    rows = cost_from_results(cat, results_dir, instance, price_per_hour=price_per_hour, spot=spot, qps=qps,
                             monthly_requests=monthly_requests)
    if as_json:
        return print_json(rows)
    from infercost.report.tables import cost_table

    out.print(cost_table([row.to_dict() for row in rows]))
