"""Fit the roofline's efficiency factors to measurements, and measure how wrong the predictions are.

A measured record is paired with the device it ran on: this machine's own probe (measured ceilings) where the
record comes from here, else the catalog entry its instance type or GPU name names. Factors are fitted per device
kind and precision (optionally per stack) by minimising the squared log error over a grid.

Domain layer (predict).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from infercost.errors import UsageError
from infercost.predict.profile import profile_model
from infercost.predict.roofline import DeviceSpec, Efficiency, compute_time, layer_arrays, memory_time, roofline_time
from infercost.pricing.catalog import Catalog
from infercost.results.record import Record

COMPUTE = np.geomspace(0.01, 1.5, 28)
MEMORY = np.geomspace(0.02, 1.5, 14)
OVERHEAD = np.array([0.0, 5e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6])
INTENSITY_HALF = (0.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)


def device_for(record: Record, catalog: Catalog, probes: dict[str, dict]) -> DeviceSpec | None:
    from infercost.env import fingerprint
    from infercost.results.store import machine_id

    env = record.env
    if machine_id(env) == machine_id(fingerprint()) and record.device.partition(":")[0] in probes:
        return DeviceSpec.from_probe(probes[record.device.partition(":")[0]], env.get("cpu_model") or "this machine",
                                     env.get("ram_bytes"))
    if env.get("instance_type") in catalog.instances:
        found = DeviceSpec.from_instance(catalog, catalog.instances[env["instance_type"]])
        return found[0] if found else None
    for gpu in env.get("gpus") or []:
        for name in catalog.accelerators:
            if record.device.startswith("cuda") and name.split("-")[0].lower() in gpu.get("name", "").lower():
                return DeviceSpec.from_accelerator(catalog.accelerators[name])
    return None


class Sample:
    """One measured point with its per-layer arrays and its device."""

    def __init__(self, record: Record, device: DeviceSpec) -> None:
        seq = record.case.seq_len(0) or None
        profile = profile_model(record.model, record.batch_size, record.height, width=record.width,
                                precision=record.precision, seq=seq)
        self.record, self.device = record, device
        self.flops, self.bytes, self.weights = layer_arrays(profile)
        self.peak, _ = device.rate(record.precision)
        self.measured = record.latency_s


def samples(records: Sequence[Record], catalog: Catalog, probes: dict[str, dict]) -> list[Sample]:
    found = []
    for record in records:
        if not record.ok or not record.latency_s:
            continue
        device = device_for(record, catalog, probes)
        if device is None:
            continue
        try:
            sample = Sample(record, device)
        except UsageError:
            continue  # a model infercost can't profile (an ONNX file): not usable for calibration
        if sample.peak:
            found.append(sample)
    return found


def _fit_form(points: Sequence[Sample], form: str) -> tuple[Efficiency, float]:
    """The factors of one roofline form with the least squared log error over `points`, and that error."""
    measured = np.log([p.measured for p in points])
    layers = np.array([len(p.flops) for p in points], dtype=float)
    best, best_err = None, np.inf
    for c, m, i0 in itertools.product(COMPUTE, MEMORY, INTENSITY_HALF):
        trial = Efficiency(c, m, 0.0, intensity_half=i0, form=form)
        base = np.array([np.maximum(compute_time(p.flops, p.bytes, p.weights, peak=p.peak, eff=trial),
                                    memory_time(p.bytes, p.weights, p.device.bandwidth,
                                                eff=trial)).sum() for p in points])
        totals = base[None, :] + OVERHEAD[:, None] * layers[None, :]
        errors = ((np.log(totals) - measured[None, :]) ** 2).mean(axis=1)
        i = int(errors.argmin())
        if errors[i] < best_err:
            best, best_err = (c, m, OVERHEAD[i], i0), errors[i]
    c, m, o, i0 = best
    return Efficiency(float(c), float(m), float(o), f"calibrated on {len(points)} measured points ({form})",
                      float(i0), form), float(best_err)


def fit(points: Sequence[Sample], form: str = "weights-stream") -> Efficiency:
    """The factors for `points`. Calibration uses the weights-stream form: on this project's measurements (torch
    fp32 and bf16, each model held out in turn) it beat the shared form, chiefly on VGG19, whose fully connected
    weights no other model can teach."""
    if not points:
        raise UsageError("nothing to calibrate on")
    return _fit_form(points, form)[0]


def predict_sample(sample: Sample, eff: Efficiency) -> float:
    return roofline_time(sample.flops, sample.bytes, sample.weights, peak=sample.peak,
                         bandwidth=sample.device.bandwidth, eff=eff)[0]


def group_key(sample: Sample) -> tuple[str, str, str]:
    return sample.device.kind, sample.record.backend, sample.record.precision


def validate(points: Sequence[Sample], hold_out: str = "model") -> list[dict]:
    """Hold out each group (a model, a resolution range, or a device) in turn, calibrate on the rest of the same
    stack, predict it."""
    rows = []
    by_stack = defaultdict(list)
    for point in points:
        by_stack[group_key(point)].append(point)
    for stack, group in sorted(by_stack.items()):
        names = sorted({_held(p, hold_out) for p in group})
        for name in names:
            train = [p for p in group if _held(p, hold_out) != name]
            test = [p for p in group if _held(p, hold_out) == name]
            if len(train) < 3 or not test:
                continue
            eff = fit(train)
            errors = [(p.record.batch_size, abs(predict_sample(p, eff) - p.measured) / p.measured) for p in test]
            rows.append(_row(stack, hold_out, name, errors))
    return rows


def _held(point: Sample, hold_out: str) -> str:
    if hold_out == "model":
        return point.record.model
    if hold_out == "resolution":  # each measured resolution in turn: predict it from the others
        return point.record.size_label
    return point.device.name


def _row(stack, hold_out, name, errors) -> dict:
    def stats(values):
        return (float(np.median(values)), float(np.percentile(values, 90))) if values else (None, None)

    every = [e for _, e in errors]
    row = {"kind": stack[0], "backend": stack[1], "precision": stack[2], "held_out": f"{hold_out} {name}",
           "points": len(every)}
    row["median_error"], row["p90_error"] = stats(every)
    for batch in (1, 8):
        row[f"batch{batch}_median_error"] = stats([e for b, e in errors if b == batch])[0]
    return row


def error_band(rows: Sequence[dict]) -> float | None:
    """The 90th-percentile relative error across validation rows: the band put on predictions."""
    values = [r["p90_error"] for r in rows if r["p90_error"] is not None]
    return float(np.median(values)) if values else None
