"""The parent's half of a case measured in another environment: write the request and the input, read the raw
result back, and make the record (this machine's fingerprint with the framework's versions, FLOPs, output check).

Runtime layer (runner).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from infercost.case import Case
from infercost.env import fingerprint
from infercost.results.record import Record, now_iso
from infercost.runner.options import RunOptions


def write_input(case: Case, path: Path) -> None:
    """The same seeded input the PyTorch stacks see (NCHW, fp32), as .npy for any framework to read."""
    import numpy as np

    from infercost.models import resolve_model

    np.save(path, resolve_model(case.model).example_input(case.batch_size, case.height, case.width).numpy())


def output_check(case: Case, output: dict) -> dict:
    """Weights differ (each framework draws its own): compare the output's shape and value range with PyTorch
    fp32 on the same input; accuracy_ok stays unknown, and the record says why."""
    from infercost.accuracy import reference_output
    from infercost.models import resolve_model

    reference = reference_output(resolve_model(case.model), case)
    return {"reference": "torch fp32", "weights": "differ: each framework initialises its own random weights",
            "compared": "shape and value range only", "shape_ok": list(reference.shape) == output["shape"],
            "finite": output["finite"], "output_range": [output["min"], output["max"]],
            "reference_range": [float(reference.min()), float(reference.max())], "accuracy_ok": None}


def foreign_record(case: Case, result: dict, options: RunOptions, *, python: str) -> Record:
    env = fingerprint()
    env = {**env, "libraries": {**env.get("libraries", {}), **result.get("versions", {})}, "python_env": python}
    timer_config = options.timer
    base = {"run_id": options.run_id, "timing": {"method": timer_config.method}}
    if result.get("status") != "ok":
        return Record.for_case(case, status=result.get("status", "error"), error=result.get("error"), env=env,
                               **base)
    from infercost.runner.worker import count_flops

    accuracy = output_check(case, result["output"]) if options.check_output else None
    flops, params = count_flops(case)
    base["timing"].update(stop_reason=result["stop_reason"], warmup_calls=result["warmup_calls"],
                          config=asdict(timer_config))
    warnings = list(result.get("warnings", []))
    if accuracy and not accuracy["shape_ok"]:
        warnings.append(f"output shape {result['output']['shape']} differs from PyTorch's")
    record = Record.for_case(
        case, status="ok", env=env, warnings=warnings, cold_start_s=result["cold_start_s"], load_s=result["load_s"],
        peak_memory_bytes=result["peak_memory_bytes"], flops=flops, params=result["stack"].get("params", params),
        stack=result["stack"], accuracy=accuracy, accuracy_ok=None, finished_at=now_iso(), **base,
    ).with_samples(result["samples_s"])
    if flops and record.latency_s:
        record = record.model_copy(update={"achieved_flops_per_s": flops / record.latency_s})
    return record
