"""`infercost bench`: run a grid of cases, one isolated child each, appending every record as it ends."""

from __future__ import annotations

from infercost.grid import expand
from infercost.results.record import Record
from infercost.results.store import ResultsStore
from infercost.runner import Runner, parse_size
from infercost.timing import TimerConfig
from infercost.view.progress import progress_bar


def run_bench(models: list[str], backends: list[str], devices: list[str], precisions: list[str],
              batches: list[int], resolutions: list[str], channels_last: bool = False, method: str = "adaptive",
              min_time: float = 1.0, max_time: float = 30.0, memory_limit: str | None = None,
              timeout: float = 600.0, out_dir: str = "infercost-results", progress: bool = True) -> list[Record]:
    cases = expand(models, backends, devices, precisions, batches, resolutions or None, channels_last)
    limit = parse_size(memory_limit) if memory_limit else None
    config = TimerConfig(method=method, min_time_s=min_time, max_time_s=max(max_time, min_time))
    runner = Runner(config, timeout_s=timeout, memory_limit_bytes=limit)
    store = ResultsStore(out_dir)
    records = []
    with progress_bar(len(cases), enabled=progress) as bar:
        for case in cases:
            bar.start(f"{case.model} {case.backend} {case.device} {case.precision} b{case.batch_size} "
                      f"{case.width}x{case.height}")
            record = runner.run(case)
            store.append(record)
            records.append(record)
            bar.done(record)
    return records
