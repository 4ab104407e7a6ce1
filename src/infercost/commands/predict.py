"""`infercost profile` and `infercost predict`: a model's layers, and its speed on hardware not measured."""

from __future__ import annotations

from dataclasses import dataclass

from infercost.errors import UsageError
from infercost.predict.calibrate import error_band, fit, samples, validate
from infercost.predict.profile import profile_model
from infercost.predict.roofline import DEFAULT_ERROR, DeviceSpec, Efficiency, predict
from infercost.pricing.catalog import Catalog
from infercost.probe import cached_probe
from infercost.results import load_records


def _probes() -> dict:
    found = cached_probe("cpu", run_if_missing=False)
    return {"cpu": found} if found else {}


def calibration(results: str | None, catalog: Catalog, kind: str, precision: str,
                stack: str | None) -> tuple[Efficiency | None, float | None, list[dict]]:
    """Efficiency fitted to the results for this kind of device and precision, and the validated error band."""
    if not results:
        return None, None, []
    points = [p for p in samples(load_records(results), catalog, _probes())
              if p.device.kind == kind and p.record.precision == precision
              and (stack is None or p.record.backend == stack)]
    if len(points) < 3:
        return None, None, []
    rows = validate(points)
    return fit(points), error_band(rows), rows


@dataclass(frozen=True)
class Where:
    """The hardware a prediction is for: a catalog accelerator, or an instance (one replica per accelerator)."""

    accelerator: str | None = None
    instance: str | None = None

    def __post_init__(self) -> None:
        if bool(self.accelerator) == bool(self.instance):
            raise UsageError("give one of --accelerator NAME or --instance NAME")


def predict_on(model: str, catalog: Catalog, where: Where, precision: str = "fp32", batch: int = 1,
               size: tuple[int, int] | None = None, results: str | None = None, stack: str | None = None) -> dict:
    """The model's predicted latency at this batch and size (height, width; None: the model's own) on `where`,
    calibrated on `results` (only `stack`'s measurements, when given), with its error band."""
    accelerator, instance = where.accelerator, where.instance
    height, width = size or (None, None)
    profile = profile_model(model, batch, height, width, precision)
    if instance:
        chosen = catalog.instance(instance)
        found = DeviceSpec.from_instance(catalog, chosen)
        if found is None:
            raise UsageError(f"{instance}'s accelerator or CPU has no figures in the catalog")
        device, replicas = found
    else:
        device, replicas = DeviceSpec.from_accelerator(catalog.accelerator(accelerator)), 1
    eff, band, _ = calibration(results, catalog, device.kind, precision, stack)
    result = predict(profile, device, eff, replicas, band if band is not None else DEFAULT_ERROR)
    return {
        "model": model, "accelerator": device.name, "instance": instance, "precision": precision,
        "batch_size": batch, "height": profile.height, "width": profile.width, "latency_s": result.latency_s,
        "latency_low_s": result.latency_low_s, "latency_high_s": result.latency_high_s,
        "throughput_per_s": result.throughput_per_s, "bound": result.bound, "fits_in_memory": result.fits_in_memory,
        "memory_needed_bytes": result.memory_needed_bytes, "replicas": replicas,
        "calibrated_from": eff.source if eff else None,
        "efficiency": "calibrated" if eff else "uncalibrated: documented default factors",
        "error_band": band if band is not None else DEFAULT_ERROR,
        "error_band_source": "held-out validation (p90)" if band is not None else "stated default, not validated",
        "supported": result.supported, "note": result.note, "predicted": True,
    }


def validate_results(results: str, catalog: Catalog, hold_out: str) -> list[dict]:
    points = samples(load_records(results), catalog, _probes())
    if not points:
        raise UsageError(f"no usable points in {results} (ok records of profileable models on a known device; "
                         "run infercost probe on the machine that measured them)")
    return validate(points, hold_out)
