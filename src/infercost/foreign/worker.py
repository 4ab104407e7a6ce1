"""`python -m infercost.foreign.worker IN OUT` inside a framework's own environment: build the model, time it with
infercost's own Timer, and write the raw result (samples, cold start, output summary) for the parent to record.

Runtime layer (foreign).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from infercost.case import Case
from infercost.foreign import Unsupported
from infercost.oom import looks_like_oom
from infercost.process import die_with_parent, limit_memory, peak_rss_bytes, rss_bytes
from infercost.timing import DeviceClock, Timer, TimerConfig

FRAMEWORKS = {"mxnet": "infercost.foreign.mxnet_models", "tensorflow": "infercost.foreign.tensorflow_models",
              "tensorflow-xla": "infercost.foreign.tensorflow_models", "tflite": "infercost.foreign.tensorflow_models"}


def summarize_output(output) -> dict:
    import numpy as np

    array = np.asarray(output, dtype=np.float64)
    finite = bool(np.isfinite(array).all())
    return {"shape": list(array.shape), "finite": finite, "min": float(np.nanmin(array)),
            "max": float(np.nanmax(array)), "mean": float(np.nanmean(array))}


def _message(exc: Exception) -> str:
    """The line that says what went wrong: MXNet puts a C++ traceback first and the message last."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def measure(request: dict) -> dict:
    case = Case.from_dict(request["case"])
    module = importlib.import_module(FRAMEWORKS[case.backend])
    rss_before = rss_bytes()
    t0 = time.perf_counter()
    stack = module.build(case, request["input_path"])
    load_s = time.perf_counter() - t0
    timer = Timer(stack.run, DeviceClock(stack.sync), TimerConfig(**request["timer"]))
    measurement = timer.measure()
    return {"status": "ok", "samples_s": measurement.samples_s, "cold_start_s": measurement.cold_start_s,
            "warmup_calls": measurement.warmup_calls, "stop_reason": measurement.stop_reason,
            "warnings": list(measurement.warnings), "load_s": load_s,
            "peak_memory_bytes": max(0, peak_rss_bytes() - rss_before), "stack": stack.describe,
            "output": summarize_output(stack.first_output()), "versions": module.versions(),
            "timer": asdict(timer.config)}


def main(argv: list[str]) -> int:
    die_with_parent()
    request = json.loads(Path(argv[0]).read_text())
    if request.get("memory_limit_bytes") and not request["case"]["device"].startswith("cuda"):
        limit_memory(int(request["memory_limit_bytes"]))
    try:
        result = measure(request)
    except Unsupported as exc:
        result = {"status": "unsupported", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a record in the parent
        text = f"{type(exc).__name__}: {_message(exc)}"
        status = "oom" if looks_like_oom(exc) else "error"
        result = {"status": status, "error": text[:500], "traceback": traceback.format_exc()[-2000:]}
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
