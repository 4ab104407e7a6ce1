"""Output checks: every stack's output against PyTorch eager fp32 on the same input and the same weights.

Errors are relative L2 (||y - y_ref|| / ||y_ref||) and max absolute error, on the first sample of the batch.
Default tolerances on relative L2, per precision (configurable with --tolerance):

    fp32 1e-3   (runtimes reorder sums; more is a real difference)
    fp16 1e-2
    bf16 5e-2   (8 bits of mantissa)
    int8 2.5e-1 (quantized with random calibration data: timing only)

Runtime layer (accuracy).
"""

from __future__ import annotations

from typing import Any

from infercost.case import Case
from infercost.errors import UsageError
from infercost.limits import TOLERANCE
from infercost.models.zoo import ModelSpec

DEFAULT_TOLERANCES = {"fp32": 1e-3, "fp16": 1e-2, "bf16": 5e-2, "int8": 2.5e-1}


def parse_tolerances(text: str | None) -> dict[str, float]:
    """'bf16=0.05,int8=0.2' -> the defaults with those replaced."""
    tolerances = dict(DEFAULT_TOLERANCES)
    if text is not None and not text.replace(",", "").strip():
        raise UsageError("no tolerance given; use e.g. --tolerance bf16=0.05")
    for part in (text or "").split(","):
        if not part.strip():
            continue
        precision, _, value = (text.strip() for text in part.partition("="))
        if precision not in tolerances:
            raise UsageError(f"tolerance {part!r} does not parse; use e.g. bf16=0.05 "
                             f"(precisions: {', '.join(tolerances)})")
        tolerances[precision] = TOLERANCE.check(f"the {precision} tolerance", value)
    return tolerances


def is_reference(case: Case) -> bool:
    return case.backend == "torch" and case.precision == "fp32"


def reference_output(spec: ModelSpec, case: Case) -> Any:
    """PyTorch eager fp32 on the CPU for the first sample of the case's input."""
    import torch

    model = spec.create(**case.model_options)
    x = spec.example_input(1, case.height, case.width, seq=case.seq_len(spec.default_seq))
    with torch.inference_mode():
        out = model(**x) if isinstance(x, dict) else model(x)
    out = out[0] if isinstance(out, (tuple, list)) else out
    if isinstance(out, dict):
        out = next(iter(out.values()))
    return out.float().numpy()


def compare(output: Any, reference: Any, precision: str, *, tolerances: dict[str, float] | None = None) -> dict:
    import numpy as np

    tolerance = (tolerances or DEFAULT_TOLERANCES)[precision]
    output = np.asarray(output, dtype=np.float64).reshape(-1)
    reference = np.asarray(reference, dtype=np.float64).reshape(-1)
    if output.shape != reference.shape:
        return {"reference": "torch fp32", "accuracy_ok": False, "tolerance": tolerance,
                "error": f"output has {output.size} values, the reference {reference.size}"}
    diff = output - reference
    norm = float(np.linalg.norm(reference))
    rel_l2 = float(np.linalg.norm(diff) / norm) if norm > 0 else float(np.linalg.norm(diff))
    ok = bool(np.isfinite(rel_l2) and rel_l2 <= tolerance)
    return {"reference": "torch fp32", "rel_l2": rel_l2, "max_abs": float(np.max(np.abs(diff))),
            "tolerance": tolerance, "accuracy_ok": ok}
