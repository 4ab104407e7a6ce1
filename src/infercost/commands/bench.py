"""`infercost bench`: run a grid of cases, one isolated child each, appending every record as it ends.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from dataclasses import replace

from infercost.case import Case
from infercost.grid import Grid
from infercost.pricing.catalog import cpu_ceiling
from infercost.probe import device_probe, with_peak
from infercost.results.record import Record
from infercost.results.store import ResultsStore
from infercost.runner import Runner, RunOptions
from infercost.selection import auto_precisions, candidates, choose
from infercost.timing import TimerConfig
from infercost.view.progress import progress_bar

# The short calibration each candidate stack gets under --backend/--precision auto.
CALIBRATION = TimerConfig(min_calls=5, min_time_s=0.3, max_calls=200, max_time_s=2.0, warmup_calls=2,
                          warmup_time_s=0.1)


def run_bench(grid: Grid, options: RunOptions | None = None, out_dir: str = "infercost-results",
              *, progress: bool = True, probe: bool = True, auto_compile: bool = False) -> list[Record]:
    """Measure every point of the grid, one isolated child each, appending every record to out_dir as it ends.
    Under auto, each (model, device) first picks the fastest stack that passes the output check."""
    cases = grid.cases()
    runner = Runner(options)
    store = ResultsStore(out_dir)
    probes = {device: device_probe(device, probe, cpu_ceiling) for device in grid.devices}
    records = []
    with progress_bar(len(cases), enabled=progress) as bar:
        selections = {}
        if grid.auto:
            calibrate = Runner(runner.options.with_(timer=CALIBRATION, check_output=True))
            cases, selections = _select(cases, list(grid.backends), list(grid.precisions), calibrate, bar,
                                        auto_compile)
        for case in cases:
            bar.start(case.label)
            record = with_peak(runner.run(case), probes.get(case.device))
            if (case.model, case.device) in selections:
                record = record.model_copy(update={"selection": selections[(case.model, case.device)]})
            store.append(record)
            records.append(record)
            bar.done(record)
    return records


def _select(cases: list[Case], backends: list[str], precisions: list[str], calibrate: Runner, bar,
            auto_compile: bool) -> tuple[list[Case], dict]:
    """Replace each (model, device)'s stack by the winner of a batch-1 calibration; no winner, no cases."""
    chosen, selections = [], {}
    for model, device in dict.fromkeys((c.model, c.device) for c in cases):
        group = [c for c in cases if (c.model, c.device) == (model, device)]
        pairs = candidates(device, None if backends == ["auto"] else backends, auto_precisions(precisions),
                           include_slow=auto_compile)
        bar.grow(len(pairs))
        winner, selection = choose(group[0], pairs, lambda case: _calibrate(calibrate, case, bar), progress=bar.start)
        selections[(model, device)] = selection
        if winner is not None:
            chosen += [replace(c, backend=winner.backend, precision=winner.precision) for c in group]
    return chosen, selections


def _calibrate(runner: Runner, case: Case, bar) -> Record:
    record = runner.run(case)
    bar.done(record)
    return record
