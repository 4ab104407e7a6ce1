"""`infercost profile` and `infercost predict`: a model's layers, and its speed on hardware not measured."""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.commands.result_types import ModelPrediction
from infercost.errors import UsageError
from infercost.models import check_size_axis
from infercost.predict.calibrate import error_band, fit, samples, validate
from infercost.predict.corpus_roofline import Chip, chips_from
from infercost.predict.llm_calibration import Factors
from infercost.predict.profile import profile_model
from infercost.predict.published import calibration as calibration_of
from infercost.predict.published import predict_published
from infercost.predict.roofline import DEFAULT_ERROR, DeviceSpec, Efficiency, predict
from infercost.pricing.catalog import Catalog
from infercost.probe import cached_probe
from infercost.results import load_records


def _probes() -> dict:
    found = cached_probe("cpu", run_if_missing=False)
    return {"cpu": found} if found else {}


# Calibrations fitted in this process, by the records' content and what was asked: recommend, the answer per model,
# its reranks and the report ask for the same fit many times over.
_FITTED: dict[tuple, tuple[Catalog, tuple[Efficiency | None, float | None, list[dict]]]] = {}


def _content_key(results: str) -> tuple:
    """The results file as it is now: its path, size and modification time (a new record changes both)."""
    from pathlib import Path

    path = Path(results)
    path = path / "results.jsonl" if path.is_dir() else path
    stat = path.stat() if path.exists() else None
    return str(path.resolve()), stat.st_size if stat else None, stat.st_mtime_ns if stat else None


def calibration(results: str | None, catalog: Catalog, kind: str, *, precision: str,
                stack: str | None) -> tuple[Efficiency | None, float | None, list[dict]]:
    """Efficiency fitted to the results for this kind of device and precision, and the validated error band.
    Fitted once per process for the same records, catalog, kind, precision and stack."""
    if not results:
        return None, None, []
    key = (_content_key(results), id(catalog), kind, precision, stack)
    if key not in _FITTED or _FITTED[key][0] is not catalog:  # the catalog kept with it: its id stays its own
        _FITTED[key] = (catalog, _calibrate(results, catalog, kind, precision, stack))
    return _FITTED[key][1]


def _calibrate(results: str, catalog: Catalog, kind: str, precision: str,
               stack: str | None) -> tuple[Efficiency | None, float | None, list[dict]]:
    points = [p for p in samples(_records(results), catalog, _probes())
              if p.device.kind == kind and p.record.precision == precision
              and (stack is None or p.record.backend == stack)]
    if len(points) < 3:
        return None, None, []
    rows = validate(points)
    return fit(points), error_band(rows), rows


_LOADED: dict[tuple, list] = {}


def _records(results: str) -> list:
    """The results' records, read once per process while the file is unchanged."""
    key = _content_key(results)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_records(results)
    return _LOADED[key]


@dataclass(frozen=True)
class Where:
    """The hardware a prediction is for: a catalog accelerator, or an instance (one replica per accelerator)."""

    accelerator: str | None = None
    instance: str | None = None

    def __post_init__(self) -> None:
        if bool(self.accelerator) == bool(self.instance):
            raise UsageError("give one of --accelerator NAME or --instance NAME")


@dataclass(frozen=True)
class Basis:
    """What a prediction is calibrated on: this machine's measurements (`results`), else the published corpus
    (with a user's own rows, `published`)."""

    results: str | None = None
    published: str | None = None


def _device(catalog: Catalog, where: Where) -> tuple[DeviceSpec, int, Chip | None, int | None]:
    """The device one replica runs on, the replicas an instance holds, the chip the corpus calibration knows it
    as (None for an ASIC), and a CPU's cores."""
    if where.instance:
        chosen = catalog.instance(where.instance)
        found = DeviceSpec.from_instance(catalog, chosen)
        if found is None:
            raise UsageError(f"{where.instance}'s accelerator or CPU has no figures in the catalog")
        device, replicas = found
        cores = catalog.cpu_cores(chosen)
    else:
        acc = catalog.accelerator(where.accelerator)
        cores = 1 if acc.kind == "cpu" else None  # a CPU named alone: one core of it (an instance says how many)
        device, replicas = DeviceSpec.from_accelerator(acc, cores), 1
    return device, replicas, chips_from(catalog).get(device.name), cores


def predict_on(model: str, catalog: Catalog, where: Where, *, precision: str = "fp32", batch: int = 1,
               size: tuple[int, int] | int | None = None, backend: str | None = None,
               basis: Basis = Basis()) -> ModelPrediction:
    """The model's predicted latency at this batch and size (an image's (height, width), a token model's sequence
    length; None: the model's own) on `where`.
    Calibrated on the published corpus by default (the device's generation, the stack, the precision path), or on
    `basis.results` (only `backend`'s measurements, when given); with the error band its kind of prediction earned
    in held-out validation."""
    seq = size if isinstance(size, int) else None
    height, width = size if isinstance(size, tuple) else (None, None)
    spec = check_size_axis(model, seq=bool(seq), resolution=bool(height))
    seq = seq or (spec.default_seq if spec.tokens else None)
    profile = profile_model(model, batch, height, width=width, precision=precision, seq=seq)
    device, replicas, chip, cores = _device(catalog, where)
    if chip is not None and basis.results is None:
        return ModelPrediction(**{**_published(profile, device, replicas, chip, cores, backend, basis.published, where,
                                          seq), **_size_fields(profile, seq)})
    eff, band, _ = calibration(basis.results, catalog, device.kind, precision=precision, stack=backend)
    result = predict(profile, device, eff, replicas=replicas, error=band if band is not None else DEFAULT_ERROR)
    return ModelPrediction(**{
        **_shared(profile, device, replicas, where, result), **_size_fields(profile, seq),
        "stack": backend or "roofline",
        "calibrated_from": eff.source if eff else None,
        "efficiency": "calibrated on measurements" if eff else "uncalibrated: documented default factors",
        "error_band": band if band is not None else DEFAULT_ERROR,
        "error_band_source": "held-out validation (p90)" if band is not None else "stated default, not validated",
        "calibration": None,
    })


def _size_fields(profile, seq: int | None) -> dict:
    """Where the prediction sits on the model's size axis: an image's height and width, or a sequence length."""
    if seq:
        return {"height": None, "width": None, "seq_len": seq, "size": f"seq {seq}"}
    return {"height": profile.height, "width": profile.width, "seq_len": None,
            "size": f"{profile.width}x{profile.height}"}


def _shared(profile, device: DeviceSpec, replicas: int, where: Where, result) -> dict:
    return {"model": profile.model, "accelerator": device.name, "instance": where.instance,
            "precision": profile.precision, "batch_size": profile.batch_size, "height": profile.height,
            "width": profile.width, "latency_s": result.latency_s, "latency_low_s": result.latency_low_s,
            "latency_high_s": result.latency_high_s, "throughput_per_s": result.throughput_per_s,
            "bound": result.bound, "fits_in_memory": result.fits_in_memory,
            "memory_needed_bytes": result.memory_needed_bytes, "replicas": replicas, "supported": result.supported,
            "note": result.note, "predicted": True}


def _published(profile, device: DeviceSpec, replicas: int, chip: Chip, cores: int | None, backend: str | None,
               published: str | None, where: Where, seq: int | None) -> dict:
    roofline = predict(profile, device, None, replicas=replicas, error=DEFAULT_ERROR)  # for memory, bound and support
    data = _shared(profile, device, replicas, where, roofline)
    if not roofline.supported:
        return {**data, "stack": backend, "calibration": None, "error_band": None, "error_band_source": None,
                "efficiency": None, "calibrated_from": None}
    found = predict_published(profile.model, chip, profile.precision, batch=profile.batch_size,
                              size=(profile.height, profile.width), backend=backend, cores=cores,
                              found=calibration_of(published), seq=seq)
    throughput = profile.batch_size / found.seconds * replicas
    return {
        **data, "latency_s": found.seconds, "latency_low_s": found.low_s, "latency_high_s": found.high_s,
        "throughput_per_s": throughput, "stack": found.stack,
        "efficiency": f"calibrated on published measurements ({found.generation}, {found.stack})",
        "calibrated_from": "published corpus" + (f" and {published}" if published else ""),
        "error_band": math.exp(found.band) - 1, "error_band_low": 1 - math.exp(-found.band),
        "error_band_source": f"held-out validation, 90th percentile ({found.pool})",
        "calibration": {"generation": found.generation, "generation_rows": found.generation_rows,
                        "stack": found.stack, "stack_rows": found.stack_rows, "pool": found.pool,
                        "notes": found.notes},
        "note": "; ".join(filter(None, [data["note"], *found.notes])) or None,
    }


def validate_results(results: str, catalog: Catalog, hold_out: str) -> list[dict]:
    if hold_out not in ("model", "resolution", "device"):
        raise UsageError(f"--validate holds out a model, a resolution or a device, not {hold_out!r} "
                         f"(accelerator, stack and generation are for --validate-published)")
    points = samples(load_records(results), catalog, _probes())
    if not points:
        raise UsageError(f"no usable points in {results} (ok records of profileable models on a known device; "
                         "run infercost probe on the machine that measured them)")
    return validate(points, hold_out)


def predict_generation_on(model: str, catalog: Catalog, where: Where, *, precision: str, batch: int, prompt: int,
                          output: int, backend: str | None = None, basis: Basis = Basis(), tp: int = 1,
                          kv_precision: str | None = None, padded_heads: bool = False,
                          factors: Factors | None = None) -> ModelPrediction:
    """A generation's TTFT and TPOT on `where`: the prefill predicted as the model's forward pass over the prompt,
    the decode from the bandwidth it needs (predict/generation.py); over `tp` accelerators by tensor parallelism;
    each multiplied by the generation calibration's factors (`factors`, or the shipped ones for the chip's
    generation). A weight-only format (w8a16, w4a16) prefills at its 16-bit activations' rate; fp8 and fp4 at the
    fp16 prediction scaled by the chip's fp16/fp8 (or fp4) peak ratio, and not at all on a chip without that rate."""
    from infercost.predict.generation import DecoderShape, Split, predict_generation, prefill_basis

    shape = DecoderShape.of(model)
    device, replicas, _, _ = _device(catalog, where)
    if where.instance and tp > replicas:
        raise UsageError(f"{where.instance} has {replicas} accelerators: --tp {tp} is more than it has")
    split = Split.over(device, tp, shape, padded_heads=padded_heads)
    measured_at, speedup = prefill_basis(device, precision)
    prefill = predict_on(model, catalog, where, precision=measured_at, batch=batch, size=prompt,
                         backend=backend, basis=basis).to_dict()
    if speedup != 1.0 and prefill.get("latency_s"):
        for key in ("latency_s", "latency_low_s", "latency_high_s"):
            prefill[key] = prefill[key] / speedup
        prefill["throughput_per_s"] = prefill["throughput_per_s"] * speedup
        prefill["error_band_source"] = (f"{prefill['error_band_source']}; the fp16 prefill scaled by the chip's "
                                        f"{precision}/fp16 peak ratio ({speedup:.2g}x)")
    generation = predict_generation(prefill, shape, device, precision=precision, batch=batch, prompt=prompt,
                                    output=output, split=split, kv_precision=kv_precision, factors=factors)
    if device.kind != "cpu":  # the prompt's forward pass is the generation's prefill (the step cost's)
        prefill.update(latency_s=generation["ttft_s"], latency_low_s=generation["ttft_low_s"],
                       latency_high_s=generation["ttft_high_s"], throughput_per_s=batch / generation["ttft_s"],
                       error_band_source=generation["ttft_band_source"])
    prefill.update(precision=precision, replicas=replicas // tp if where.instance else 1,
                   memory_needed_bytes=generation["memory_needed_bytes"],
                   fits_in_memory=generation["fits_in_memory"])
    return ModelPrediction(**prefill, generation=generation)


def generation_step_cost(model: str, device: DeviceSpec, chip: Chip | None, *, precision: str, split, prompt: int,
                         cores: int | None = None, factors: Factors | None = None) -> tuple:
    """The continuous-batching step cost of one replica (predict/generation.step_cost) and its prefill's band. On an
    accelerator both phases come from the chip's figures and the generation calibration; on a CPU the prefill of a
    `prompt`-token prompt is predicted as a forward pass (the published corpus's calibration, or the roofline)."""
    from infercost.predict.generation import DecoderShape, calibrated, prefill_basis, step_cost

    basis, speedup = prefill_basis(device, precision)  # refuses a precision the chip lacks
    shape = DecoderShape.of(model)
    if device.kind != "cpu":
        found, calibration = calibrated(device)
        cost = step_cost(shape, device, precision, split=split, factors=factors if factors is not None else found)
        return cost, (math.exp(calibration.bands["throughput"]) - 1 if calibration else DEFAULT_ERROR)
    profile = profile_model(model, 1, None, width=None, precision=basis, seq=prompt)
    if chip is not None:
        found = predict_published(model, chip, basis, batch=1, size=(profile.height, profile.width), cores=cores,
                                  seq=prompt)
        prefill_s, band = found.seconds, math.exp(found.band) - 1
    else:
        prefill = predict(profile, device, None, replicas=1, error=DEFAULT_ERROR)
        prefill_s, band = prefill.latency_s, DEFAULT_ERROR
    cost = step_cost(shape, device, precision, prefill_s_per_token=prefill_s / speedup / prompt, split=split,
                     factors=factors)
    return cost, band
