"""Spawn one child process per case, with a time-out and a memory cap; a failed child becomes a record.

Runtime layer (runner).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from infercost.case import Case
from infercost.env import fingerprint
from infercost.errors import ResultsError
from infercost.oom import says_oom
from infercost.results.record import Record
from infercost.runner.options import RunOptions


class Runner:
    """Runs cases one at a time, each in its own process (or in-process when isolate is False)."""

    def __init__(self, options: RunOptions | None = None) -> None:
        self.options = options or RunOptions()

    @property
    def run_id(self) -> str:
        return self.options.run_id

    def run(self, case: Case) -> Record:
        from infercost.backends import backend_class

        if getattr(backend_class(case.backend), "environment", None):
            return self._run_foreign(case)  # always in a child: the framework lives in another environment
        if not self.options.isolate:
            from infercost.runner.worker import measure_case

            return measure_case(case, self.options)
        from infercost.models.exported import export_module, registered_spec

        registered = registered_spec(case.model)
        if registered is not None:  # a fresh interpreter can't see it: it goes as an ExportedProgram
            path = export_module(registered, case)
            record = self.run(case.with_(model=str(path)))
            return record.model_copy(update={"model": case.model, "case_id": case.case_id,
                                             "warnings": [*record.warnings, f"registered in this process: "
                                                          f"measured as the ExportedProgram {path.name}"]})
        with tempfile.TemporaryDirectory(prefix="infercost-") as tmp:
            request, result = Path(tmp) / "case.json", Path(tmp) / "record.json"
            request.write_text(json.dumps({"case": case.to_dict(), **self.options.to_dict()}))
            returncode, stderr, timed_out = self._spawn(request, result)
            if result.exists() and result.stat().st_size:
                try:
                    return Record.model_validate_json(result.read_text())
                except ValueError as exc:
                    raise ResultsError(f"the worker wrote an unreadable record: {exc}") from None
            return self._failure(case, returncode, stderr, timed_out)

    def _run_foreign(self, case: Case) -> Record:
        from infercost import venvs
        from infercost.backends import backend_class, require_backend
        from infercost.errors import BackendUnavailableError
        from infercost.runner.foreign import foreign_record, write_input

        try:
            require_backend(case.backend)  # creates the environment on first use
        except BackendUnavailableError as exc:
            return Record.for_case(case, run_id=self.run_id, status="unsupported", error=str(exc), env=fingerprint())
        python = str(venvs.python_for(backend_class(case.backend).environment))
        with tempfile.TemporaryDirectory(prefix="infercost-") as tmp:
            request, result, data = Path(tmp) / "case.json", Path(tmp) / "record.json", Path(tmp) / "input.npy"
            write_input(case, data)
            request.write_text(json.dumps({"case": case.to_dict(), **self.options.to_dict(),
                                           "input_path": str(data)}))
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
            env.update(PYTHONPATH=str(venvs.package_path()), PYTHONNOUSERSITE="1")
            returncode, stderr, timed_out = self._spawn(request, result, python, "infercost.foreign.worker", env)
            if result.exists() and result.stat().st_size:
                return foreign_record(case, json.loads(result.read_text()), self.options, python=python)
            return self._failure(case, returncode, stderr, timed_out)

    def _spawn(self, request: Path, result: Path, python: str = sys.executable,
               module: str = "infercost.runner.worker", env: dict | None = None) -> tuple[int | None, str, bool]:
        cmd = [python, "-m", module, str(request), str(result)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env={**(env or os.environ), "PYTHONWARNINGS": "ignore"})
        try:
            _, stderr = proc.communicate(timeout=self.options.timeout_s)
            return proc.returncode, stderr, False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
            return proc.returncode, stderr, True

    def _failure(self, case: Case, returncode: int | None, stderr: str, timed_out: bool) -> Record:
        tail = " | ".join(line for line in stderr.strip().splitlines()[-3:] if line.strip())[-500:]
        if timed_out:
            status, error = "timeout", f"no result within the {self.options.timeout_s:g} s time-out"
        elif returncode is not None and returncode < 0:
            name = signal.Signals(-returncode).name
            capped = self.options.memory_limit_bytes is not None
            status = "oom" if capped else "error"
            error = f"worker killed by {name}" + (" under the memory limit" if capped else "")
        else:
            status = "oom" if says_oom(tail) else "error"
            error = f"worker exited with code {returncode}"
        if tail:
            error += f": {tail}"
        return Record.for_case(case, run_id=self.run_id, status=status, error=error, env=fingerprint(),
                               timing={"method": self.options.timer.method})
