"""Flatten records into a table (one row per point, stats as columns); merge studies from several machines.

Core layer (results).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from infercost.errors import ResultsError, UsageError
from infercost.results.record import Record
from infercost.results.store import ResultsStore, load_records, machine_id

FORMATS = ("csv", "parquet", "jsonl")


def to_frame(records: Sequence[Record], keep_samples: bool = True):
    import pandas as pd

    rows = []
    for r in records:
        row = r.model_dump(by_alias=True, exclude={"stats", "env", "samples_s", "selection", "accuracy"})
        row.update({f"stats.{k}": v for k, v in (r.stats.model_dump() if r.stats else {}).items()})
        row.update({f"accuracy.{k}": v for k, v in (r.accuracy or {}).items()})
        row.update({"latency_s": r.latency_s, "machine_id": machine_id(r.env), "host": r.env.get("host"),
                    "cpu_model": r.env.get("cpu_model"), "instance_type": r.env.get("instance_type"),
                    "gpu": ", ".join(g.get("name", "") for g in r.env.get("gpus") or []) or None,
                    "n_samples": len(r.samples_s)})
        for key in ("options", "stack", "timing", "warnings"):
            row[key] = json.dumps(row[key], default=str)
        if keep_samples:
            row["samples_s"] = list(r.samples_s)
        rows.append(row)
    return pd.DataFrame(rows)


def export(directory: str | Path, fmt: str, output: str | Path) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    records = load_records(directory)
    output = Path(output)
    if fmt == "jsonl":
        output.write_text("".join(r.to_json() + "\n" for r in records))
        return len(records)
    frame = to_frame(records, keep_samples=fmt == "parquet")
    if fmt == "csv":
        frame.to_csv(output, index=False)
    else:
        try:
            frame.to_parquet(output, index=False)
        except ImportError:
            raise UsageError('parquet needs pyarrow: pip install "infercost[parquet]"') from None
    return len(records)


def merge(directories: Sequence[str | Path], output: str | Path) -> dict[str, int]:
    """Combine studies. Records stay per machine (machine_id); the same case on the same machine twice with
    different fingerprints (other software or host) is refused, since it can't be told which is meant."""
    seen: dict[tuple[str, str], tuple[Record, str]] = {}
    merged: list[Record] = []
    for directory in directories:
        for record in load_records(directory):
            key = (machine_id(record.env), record.case_id)
            if key in seen:
                earlier, where = seen[key]
                if earlier.env != record.env:
                    raise ResultsError(
                        f"case {record.case_id} ({record.model} {record.backend} {record.precision} batch "
                        f"{record.batch_size}) is in {where} and {directory} with different fingerprints of "
                        f"machine {key[0]}; merge one of them")
                if earlier.run_id == record.run_id:
                    continue  # the same record twice
            seen[key] = (record, str(directory))
            merged.append(record)
    store = ResultsStore(output)
    if store.path.exists() and store.path.stat().st_size:
        raise UsageError(f"{store.path} already exists; merge into a new directory")
    for record in merged:
        store.append(record)
    counts: dict[str, int] = {}
    for record in merged:
        counts[machine_id(record.env)] = counts.get(machine_id(record.env), 0) + 1
    return counts
