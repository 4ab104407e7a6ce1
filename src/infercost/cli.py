"""The commands: parse, call the library, print. No logic of its own."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps

import click
from rich.console import Console

from infercost.errors import InfercostError, UsageError

# Piped output keeps whole rows rather than rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)


def handled(fn: Callable) -> Callable:
    """Map the project's errors to one line on stderr and a non-zero exit; nothing else is caught."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InfercostError as exc:
            _fail(str(exc).replace("[", r"\["), 2)

    return wrapper


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="infercost")
def cli() -> None:
    """infercost: on which hardware should this network run inference, and what will it cost?"""


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handled
def models(as_json: bool) -> None:
    """List the model zoo with parameters and GFLOPs at the default resolution."""
    from infercost.commands.models import list_models

    rows = list_models()
    if as_json:
        return _print_json(rows)
    from rich.table import Table

    table = Table(header_style="bold")
    for column in ("name", "task", "resolution", "params", "GFLOPs", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["task"], str(row["default_resolution"]), f"{row['params']:,}",
                      f"{row['gflops']:.2f}", row["description"])
    out.print(table)
    out.print("Also: torchvision:NAME, a .onnx or .pt2 file, or python:package.module:factory.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def env(as_json: bool) -> None:
    """Print this machine's fingerprint, as stored with every result."""
    from infercost.env import fingerprint

    data = fingerprint()
    if as_json:
        return _print_json(data)
    for key, value in data.items():
        out.print(f"[bold]{key:>14}[/]  {value}", highlight=False)


@cli.command()
@click.argument("model")
@click.option("--backend", default="torch", show_default=True, help="Backends, comma-separated.")
@click.option("--device", default="cpu", show_default=True, help="Devices: cpu, cuda, cuda:N, mps.")
@click.option("--precision", default="fp32", show_default=True, help="Precisions: fp32,fp16,bf16,int8.")
@click.option("--batch", default="1", show_default=True, help="Batch sizes, e.g. 1,2,4.")
@click.option("--resolution", default=None, help="Resolutions, e.g. 224,512x384 (default: the model's).")
@click.option("--channels-last", is_flag=True, help="Use the channels_last memory format (torch).")
@click.option("--method", type=click.Choice(["adaptive", "seed"]), default="adaptive", show_default=True,
              help="adaptive: stop on the median's CI; seed: the classic 11 calls, mean of the last 10.")
@click.option("--min-time", type=float, default=1.0, show_default=True, help="Seconds of timed calls at least.")
@click.option("--max-time", type=float, default=30.0, show_default=True, help="Seconds of timed calls at most.")
@click.option("--memory-limit", default=None, help="Cap each case's memory, e.g. 4GiB.")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds before a case is killed.")
@click.option("--out", "out_dir", default="infercost-results", show_default=True, help="Results directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as a JSON array instead of a table.")
@handled
def bench(model: str, backend: str, device: str, precision: str, batch: str, resolution: str | None,
          channels_last: bool, method: str, min_time: float, max_time: float, memory_limit: str | None,
          timeout: float, out_dir: str, as_json: bool) -> None:
    """Measure MODEL over the grid of the given lists, one isolated process per point."""
    from infercost.commands.bench import run_bench
    from infercost.grid import parse_batches, split_list

    if timeout <= 0 or min_time < 0 or max_time <= 0:
        raise UsageError("--timeout and --max-time must be positive and --min-time not negative")
    records = run_bench(
        models=split_list(model), backends=split_list(backend), devices=split_list(device),
        precisions=split_list(precision), batches=parse_batches(batch), resolutions=split_list(resolution),
        channels_last=channels_last, method=method, min_time=min_time, max_time=max_time,
        memory_limit=memory_limit, timeout=timeout, out_dir=out_dir, progress=not as_json,
    )
    if as_json:
        return click.echo("[" + ",\n".join(r.to_json() for r in records) + "]")
    from infercost.report.tables import records_table

    out.print(records_table(records))
    out.print(f"{len(records)} records appended to {out_dir}/results.jsonl")


def main() -> None:
    cli(prog_name="infercost")
