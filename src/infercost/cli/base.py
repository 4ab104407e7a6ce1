"""The CLI's shared parts: the group, one-line errors, printing, and the option groups several commands take.

CLI layer (cli).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from functools import wraps

import click
from rich.console import Console
from rich.markup import escape

from infercost import cli_params as p
from infercost.errors import InfercostError

# Piped output keeps whole rows rather than rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/] {escape(' '.join(message.split()))}", markup=True, highlight=False)
    sys.exit(code)


def handled(fn: Callable) -> Callable:
    """Map the project's errors to one line on stderr and a non-zero exit; nothing else is caught."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InfercostError as exc:
            fail(str(exc), 2)

    return wrapper


def print_json(data: object) -> None:
    """A result as JSON: a typed result by its to_dict(), a list of them each so."""
    def plain(item):
        return item.to_dict() if hasattr(item, "to_dict") else item

    data = [plain(item) for item in data] if isinstance(data, list) else plain(data)
    click.echo(json.dumps(data, indent=2, default=str))


class OneLineErrors(click.Group):
    """Click's own usage errors (a missing option, a value out of range) as one line and exit 2, like ours."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            command = getattr(getattr(exc, "ctx", None), "command_path", None)
            fail(exc.format_message() + (f" (see {command} -h)" if command else ""), exc.exit_code)
        except click.exceptions.Abort:
            fail("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="infercost")
def cli() -> None:
    """infercost: on which hardware should this network run inference, and what will it cost?"""


def sporadic_options(fn: Callable) -> Callable:
    """The sporadic load's flags (--requests-per-day, --burst, --keep), gathered into `sporadic` (a SporadicLoad)."""
    @click.option("--requests-per-day", type=p.REQUESTS_PER_DAY, default=2000.0, show_default=True,
                  help="Sporadic load: requests a day.")
    @click.option("--burst", type=p.BURST, default=20, show_default=True,
                  help="Sporadic load: requests per burst (the first of each meets a cold server).")
    @click.option("--keep", type=p.Duration(allow_zero=True), default="60s", show_default=True,
                  help="Sporadic load: how long an idle server is kept before it scales to zero.")
    @functools.wraps(fn)
    def wrapper(*args, requests_per_day, burst, keep, **kwargs):
        from infercost.serving.sporadic import SporadicLoad

        return fn(*args, sporadic=SporadicLoad(requests_per_day, int(burst), keep), **kwargs)

    return wrapper


def traffic_options(fn: Callable) -> Callable:
    """--qps, --slo-ms, --traffic and the sporadic load's flags, gathered into `asked` (an Asked)."""
    @click.option("--qps", type=p.QPS, default=None,
                  help="Steady request rate (default by kind: 50/s classification, 5/s image-to-image, 20/s text).")
    @click.option("--slo-ms", type=p.LATENCY_MS, default=None,
                  help="p99 latency target in ms (default by kind: 100, 1000, 200).")
    @click.option("--traffic", default="steady", show_default=True, help="steady (Poisson), bursty, or a trace file.")
    @sporadic_options
    @functools.wraps(fn)
    def wrapper(*args, qps, slo_ms, traffic, sporadic, **kwargs):
        from infercost.serving.answer import Asked

        return fn(*args, asked=Asked(qps, slo_ms, traffic, sporadic), **kwargs)

    return wrapper


def deprecated(old: str, new: str, value):
    """An old flag's value, with a note on stderr; None when the old flag was not given."""
    if value is not None:
        err.print(f"note: {old} is deprecated; use {new}", highlight=False, markup=False)
    return value


def main() -> None:
    cli(prog_name="infercost")


def catalog_of(path: str | None):
    from infercost.pricing import load_catalog

    return load_catalog(path)
