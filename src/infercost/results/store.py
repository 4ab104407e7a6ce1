"""results.jsonl: append one record per line, flushed and fsynced; load tolerantly; refuse newer schemas.

Core layer (results).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from infercost.errors import ResultsError
from infercost.results.record import SCHEMA, Record
from infercost.textfiles import read_text

RESULTS_FILE = "results.jsonl"
_SCHEMA_NAME, _, _SCHEMA_VERSION = SCHEMA.rpartition("/")


def _check_schema(value: str, where: str) -> None:
    name, _, version = str(value).rpartition("/")
    if name != _SCHEMA_NAME or not version.isdigit():
        raise ResultsError(f"{where}: not an infercost result (schema {value!r})")
    if int(version) > int(_SCHEMA_VERSION):
        raise ResultsError(f"{where}: schema {value} is newer than this infercost reads ({SCHEMA}); upgrade infercost")


def iter_records(path: Path) -> Iterator[Record]:
    """Every complete record in a results file. A torn last line (a killed run) is skipped, not fatal."""
    lines = read_text(path, "results file", ResultsError).splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) and not line.endswith("\n"):
                continue  # the write in progress when the run was killed
            raise ResultsError(f"{where}: malformed line") from None
        if not isinstance(data, dict):
            raise ResultsError(f"{where}: not a record (a JSON object)")
        _check_schema(data.get("schema", ""), where)
        try:
            yield Record.model_validate(data)
        except ValidationError as exc:
            raise ResultsError(f"{where}: invalid record ({exc.errors()[0]['msg']})") from None


def load_records(path: str | Path) -> list[Record]:
    """Records from a results directory or a results.jsonl file."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.is_file():
        raise ResultsError(f"no results at {path}")
    return list(iter_records(path))


class ResultsStore:
    """The results directory of a run or study."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / RESULTS_FILE

    def append(self, record: Record) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"can't write results to {self.directory}: {exc.strerror or exc}") from None
        self._heal_torn_tail()
        line = record.to_json() + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def _heal_torn_tail(self) -> None:
        """A run killed mid-write can leave a last line without its newline; cut it so appends stay valid."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
            data = fh.getvalue() if hasattr(fh, "getvalue") else (fh.seek(0) or fh.read())
            cut = data.rfind(b"\n") + 1
            fh.truncate(cut)

    def records(self) -> list[Record]:
        return list(iter_records(self.path)) if self.path.exists() else []

    def done_ids(self, machine: str | None = None) -> set[str]:
        """Case ids already recorded (on one machine, when given)."""
        return {r.case_id for r in self.records() if machine is None or machine_id(r.env) == machine}


def machine_id(env: dict) -> str:
    """A short stable id for the hardware a record was measured on (not the host name or library versions)."""
    import hashlib

    from infercost.env import machine_key

    return hashlib.sha256(machine_key(env).encode()).hexdigest()[:10]
