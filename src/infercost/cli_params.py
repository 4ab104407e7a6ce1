"""Click parameter types for the CLI: numbers checked against their stated range, durations and sizes with units.

CLI layer. Each type calls the library's own check (infercost.limits, infercost.units), so the CLI and a Python
caller refuse the same values with the same words; click adds the option's name.
"""

from __future__ import annotations

import click

from infercost import limits
from infercost.errors import UsageError
from infercost.units import parse_duration, parse_size


class Number(click.ParamType):
    """A number within a Bound: nan, inf, negatives and values beyond the bound are refused as the option parses."""

    def __init__(self, bound: limits.Bound) -> None:
        self.bound = bound
        self.name = "integer" if bound.integer else "number"

    def convert(self, value, param, ctx):
        try:
            return self.bound.check("the value", value)
        except UsageError:
            kind = "a whole number" if self.bound.integer else "a number"
            self.fail(f"must be {kind} in {self.bound.describe()}, got {value!r}", param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "INTEGER" if self.bound.integer else "NUMBER"


class Lengths(click.ParamType):
    """--prompt-len and --output-len in every command: 128, 64:512 or 128,512 (generation.schedule.TokenLengths)."""

    name = "lengths"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value, param, ctx):
        from infercost.generation.schedule import TokenLengths

        if isinstance(value, TokenLengths):
            return value
        try:
            return TokenLengths.parse(value, self.what)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


PROMPT_LEN = Lengths("prompt length")
OUTPUT_LEN = Lengths("output length")


class Duration(click.ParamType):
    """'10m', '90s', '250ms', '1h30m' or plain seconds, to seconds (a float)."""

    name = "duration"

    def __init__(self, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_duration(value, "duration", allow_zero=self.allow_zero)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


class Size(click.ParamType):
    """'4GiB', '512MB', to bytes (an int)."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


QPS = Number(limits.QPS)
MONTHLY_REQUESTS = Number(limits.MONTHLY_REQUESTS)
LATENCY_MS = Number(limits.LATENCY_MS)
DELAY_MS = Number(limits.DELAY_MS)
PERCENTILE = Number(limits.PERCENTILE)
REQUESTS_PER_DAY = Number(limits.REQUESTS_PER_DAY)
BURST = Number(limits.BURST)
PRICE = Number(limits.PRICE_PER_HOUR)
BATCH = Number(limits.BATCH)
MAX_BATCH = Number(limits.MAX_BATCH)
SERVED_BATCH = Number(limits.SERVED_BATCH)
REPLICAS = Number(limits.REPLICAS)
SEED = Number(limits.SEED)
BLOCKS = Number(limits.BLOCKS)
TOP = Number(limits.TOP)
TP = Number(limits.TP)
TIMEOUT_S = Number(limits.TIMEOUT_S)
TIME_S = Number(limits.TIME_S)
