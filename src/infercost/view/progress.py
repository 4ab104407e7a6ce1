"""A progress bar for long work: current case or stage, done / total, elapsed, ETA, the last latency.

Domain layer (view).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from infercost.results.record import Record
from infercost.units import fmt_seconds


class _Bar:
    def __init__(self, progress: Progress | None, total: int, console: Console, plain: bool = False) -> None:
        self.progress = progress
        self.console = console
        self.task = progress.add_task("starting", total=total, last="") if progress else None
        self.plain = plain and progress is None  # one line per point when not on a terminal
        self.total, self.count, self._label = total, 0, ""

    def start(self, label: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=escape(label))
        self._label = label

    def grow(self, extra: int) -> None:
        """More points than planned (the calibration of --backend auto)."""
        self.total += extra
        if self.progress is not None:
            self.progress.update(self.task, total=self.total)

    def step(self, label: str) -> None:
        """One stage of the work after measuring finished (the fits, the figures, a model's answer, the HTML)."""
        self.count += 1
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=escape(label), last="done")
        elif self.plain:
            print(f"[{self.count}/{self.total}] {label}: done", file=sys.stderr, flush=True)

    def done(self, record: Record | None) -> None:
        """One point finished (None: skipped without a new record, e.g. resumed)."""
        self.count += 1
        if record is None:
            if self.progress is not None:
                self.progress.update(self.task, advance=1)
            return
        last = f"{record.status} {fmt_seconds(record.latency_s)}" if record.ok else record.status
        if self.progress is not None:
            self.progress.update(self.task, advance=1, last=escape(last))
        elif self.plain:
            label = f"{record.model} {record.backend} {record.precision} b{record.batch_size} {record.size_label}"
            print(f"[{self.count}/{self.total}] {label}: {last}", file=sys.stderr, flush=True)


@contextmanager
def progress_bar(total: int, enabled: bool = True, plain: bool = False) -> Iterator[_Bar]:
    """A live bar on stderr when it is a terminal; otherwise nothing, or one plain line per point."""
    console = Console(stderr=True)
    if not enabled or not sys.stderr.isatty():
        yield _Bar(None, total, console, plain=enabled and plain)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn(), TextColumn("last: {task.fields[last]}"))
    with Progress(*columns, console=console, transient=False) as progress:
        yield _Bar(progress, total, console)
