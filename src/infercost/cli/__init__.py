"""The commands: parse, call the library, print. No rule of its own: each module parses a command group's options,
calls one library function and prints what it returns.

CLI layer (cli). One module per command group: measure, study, price, serve, predict, recommend, report; base holds
the group itself and what the groups share.
"""

from infercost.cli import measure, predict, price, recommend, report, serve, study  # noqa: F401 - they register
from infercost.cli.base import cli, main

__all__ = ["cli", "main"]
