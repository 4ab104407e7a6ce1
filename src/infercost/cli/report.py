"""`infercost report`: the HTML page and summary.md from stored results.

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import cli, handled, out, traffic_options


@cli.command(name="report")
@click.argument("directory")
@click.option("-o", "--output", default=None, help="HTML file (default: DIRECTORY/report.html).")
@click.option("--instance", default=None, help="The instance the results were measured on (for prices).")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price of the machine measured.")
@traffic_options
@handled
def report_cmd(directory: str, output: str | None, instance: str | None, price_per_hour: float | None,
               asked) -> None:
    """Write a self-contained HTML report (works offline) and summary.md from stored results."""
    from infercost.commands.report import make_report

    html_path, md_path = make_report(directory, output, price_per_hour, instance=instance, asked=asked, progress=True)
    out.print(f"report: {html_path}; summary: {md_path}", highlight=False)
