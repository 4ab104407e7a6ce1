"""`infercost bench`: run a grid of cases, one isolated child each, appending every record as it ends."""

from __future__ import annotations

from dataclasses import replace

from infercost.case import Case
from infercost.grid import expand
from infercost.probe import cached_probe, fraction_of_peak
from infercost.results.record import Record
from infercost.results.store import ResultsStore
from infercost.runner import Runner
from infercost.selection import auto_precisions, candidates, choose
from infercost.timing import TimerConfig
from infercost.view.progress import progress_bar

# The short calibration each candidate stack gets under --backend/--precision auto.
CALIBRATION = TimerConfig(min_calls=5, min_time_s=0.3, max_calls=200, max_time_s=2.0, warmup_calls=2,
                          warmup_time_s=0.1)


def effective_precision(record: Record) -> str:
    return record.stack.get("effective_precision") or record.stack.get("precision") or record.precision


def with_peak(record: Record, probe: dict | None) -> Record:
    fraction = fraction_of_peak(record.achieved_flops_per_s, effective_precision(record), probe)
    return record.model_copy(update={"fraction_of_peak": fraction}) if fraction else record


def run_bench(models: list[str], backends: list[str], devices: list[str], precisions: list[str],
              batches: list[int], resolutions: list[str], channels_last: bool = False, method: str = "adaptive",
              min_time: float = 1.0, max_time: float = 30.0, memory_limit_bytes: int | None = None,
              timeout: float = 600.0, out_dir: str = "infercost-results", progress: bool = True,
              tolerances: dict | None = None, check_output: bool = True, probe: bool = True,
              auto_compile: bool = False) -> list[Record]:
    auto = backends == ["auto"] or precisions == ["auto"]
    cases = expand(models, ["torch"] if auto else backends, devices, ["fp32"] if auto else precisions, batches,
                   resolutions or None, channels_last)
    limit = memory_limit_bytes
    config = TimerConfig(method=method, min_time_s=min_time, max_time_s=max(max_time, min_time))
    runner = Runner(config, timeout_s=timeout, memory_limit_bytes=limit, tolerances=tolerances,
                    check_output=check_output)
    store = ResultsStore(out_dir)
    probes = {device: cached_probe(device) if probe and device.partition(":")[0] in ("cpu", "cuda") else None
              for device in devices}
    records = []
    with progress_bar(len(cases), enabled=progress) as bar:
        selections = {}
        if auto:
            calibrate = Runner(CALIBRATION, timeout_s=timeout, memory_limit_bytes=limit, tolerances=tolerances,
                               check_output=True, run_id=runner.run_id)
            cases, selections = _select(cases, backends, precisions, calibrate, bar, auto_compile)
        for case in cases:
            bar.start(f"{case.model} {case.backend} {case.device} {case.precision} b{case.batch_size} "
                      f"{case.width}x{case.height}")
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
        winner, selection = choose(group[0], pairs, lambda case: _calibrate(calibrate, case, bar), bar.start)
        selections[(model, device)] = selection
        if winner is not None:
            chosen += [replace(c, backend=winner.backend, precision=winner.precision) for c in group]
    return chosen, selections


def _calibrate(runner: Runner, case: Case, bar) -> Record:
    record = runner.run(case)
    bar.done(record)
    return record
