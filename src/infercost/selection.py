"""`--backend auto` / `--precision auto`: find the fastest stack that passes the output check, per device.

Each candidate (backend x precision) is measured at batch 1 on a short calibration, in its own process like any
case. The winner is the lowest median latency among those with accuracy_ok; what was tried is kept.

Runtime layer (selection).
"""

from __future__ import annotations

from collections.abc import Callable

from infercost.backends import BACKENDS, backend_class
from infercost.case import PRECISIONS, Case
from infercost.results.record import Record

# Compiling with inductor takes minutes per model on a small CPU: tried only when named (--auto-compile).
SLOW_TO_TRY = ("torch-compile", "tensorflow-xla", "tflite")  # compile or convert for minutes


def candidates(device: str, backends: list[str] | None, precisions: list[str] | None,
               *, include_slow: bool = False) -> list[tuple[str, str]]:
    """(backend, precision) pairs available here for a device; torch fp32 (the reference) always first."""
    names = backends or [b for b in BACKENDS if include_slow or b not in SLOW_TO_TRY]
    kind = device.partition(":")[0]
    pairs = []
    for name in names:
        cls = backend_class(name)
        if cls.unavailable_reason():
            continue
        try:
            if kind not in {d.partition(":")[0] for d in cls.devices()}:
                continue
        except Exception:  # noqa: BLE001 - a backend that can't list devices is not a candidate
            continue
        pairs += [(name, p) for p in cls.precisions if precisions is None or p in precisions]
    pairs.sort(key=lambda pair: pair != ("torch", "fp32"))
    return pairs


def choose(template: Case, pairs: list[tuple[str, str]], run: Callable[[Case], Record],
           *, progress: Callable[[str], None] | None = None) -> tuple[Case | None, dict]:
    """Measure each pair at batch 1 and return the winning case template and the selection record."""
    tried = []
    for backend, precision in pairs:
        case = template.with_(backend=backend, precision=precision, batch_size=1)
        if progress:
            progress(f"auto: trying {backend} {precision}")
        record = run(case)
        tried.append({"backend": backend, "precision": precision, "status": record.status,
                      "latency_s": record.latency_s, "accuracy_ok": record.accuracy_ok,
                      "rel_l2": (record.accuracy or {}).get("rel_l2"),
                      "effective_precision": record.stack.get("effective_precision", precision),
                      "calibration_s": record.stats.n * record.stats.mean_s if record.stats else None,
                      "error": record.error})
    good = [t for t in tried if t["status"] == "ok" and t["accuracy_ok"] and t["latency_s"]]
    selection = {"criterion": "lowest batch-1 median latency among stacks with accuracy_ok",
                 "resolution": template.size_label, "tried": tried, "winner": None}
    if not good:
        return None, selection
    best = min(good, key=lambda t: t["latency_s"])
    reference = next((t for t in tried if (t["backend"], t["precision"]) == ("torch", "fp32")), None)
    selection["winner"] = {"backend": best["backend"], "precision": best["precision"]}
    if reference and reference.get("latency_s"):
        selection["speedup_vs_torch_fp32"] = reference["latency_s"] / best["latency_s"]
    return template.with_(backend=best["backend"], precision=best["precision"]), selection


def auto_precisions(text: list[str]) -> list[str] | None:
    """None (every precision) for 'auto', else the list as given."""
    return None if text == ["auto"] else [p for p in text if p in PRECISIONS]
