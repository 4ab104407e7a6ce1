"""Measure one case and return its record; `python -m infercost.runner.worker IN OUT` does it in a child.

Runtime layer (runner).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from infercost.accuracy import compare, is_reference, reference_output
from infercost.backends import require_backend
from infercost.backends.base import first_line
from infercost.case import Case
from infercost.env import fingerprint
from infercost.errors import InfercostError, OutOfMemoryError, UnsupportedError
from infercost.models import resolve_model
from infercost.oom import looks_like_oom
from infercost.process import die_with_parent, limit_memory, peak_rss_bytes, rss_bytes
from infercost.results.record import Record, now_iso
from infercost.runner.options import RunOptions
from infercost.timing import DeviceClock, Timer


def count_flops(case: Case) -> tuple[int | None, int | None]:
    spec = resolve_model(case.model)
    if spec.source in ("onnx",):
        return None, None
    try:
        options = case.model_options
        seq = case.seq_len(spec.default_seq) if spec.tokens else None
        return spec.flops(case.height, case.width, case.batch_size, seq, **options), spec.params(**options)
    except Exception:  # noqa: BLE001 - FLOPs are informative; a model the counter can't trace still gets timed
        return None, None


def _check_output(backend, spec, case: Case, inputs, tolerances: dict | None) -> dict:
    """Compare the first sample of this stack's output with PyTorch eager fp32; the reference itself is exact."""
    if is_reference(case):
        return {"reference": "self", "rel_l2": 0.0, "max_abs": 0.0, "accuracy_ok": True}
    if spec.source == "onnx":
        return {"reference": None, "accuracy_ok": None, "error": "no PyTorch reference for a user's ONNX file"}
    try:
        output = backend.to_numpy(backend.run(inputs))[:1]
        backend.close()  # free the stack before building the reference
        return compare(output, reference_output(spec, case), case.precision, tolerances=tolerances)
    except Exception as exc:  # noqa: BLE001 - a failed check is reported, the timing stands
        return {"reference": "torch fp32", "accuracy_ok": None, "error": f"check failed: {first_line(exc)}"}


def measure_case(case: Case, options: RunOptions | None = None) -> Record:
    """Load, time and describe one case. Every failure comes back as a record, never as an exception."""
    options = options or RunOptions()
    if case.output_len:
        return measure_generation_case(case, options)
    timer_config = options.timer
    started = now_iso()
    base = {"run_id": options.run_id, "started_at": started, "timing": {"method": timer_config.method}}
    rss_before = rss_bytes()
    backend = None
    try:
        spec = resolve_model(case.model)
        backend = require_backend(case.backend)(case, spec, options.memory_limit_bytes)
        t0 = time.perf_counter()
        backend.load()
        load_s = time.perf_counter() - t0
        inputs = backend.make_input()
        timer = Timer(lambda: backend.run(inputs), DeviceClock(backend.sync), timer_config)
        measurement = timer.measure()
    except UnsupportedError as exc:
        return Record.for_case(case, status="unsupported", error=str(exc), env=fingerprint(), **base)
    except OutOfMemoryError as exc:
        return Record.for_case(case, status="oom", error=str(exc), env=fingerprint(), **base)
    except InfercostError as exc:
        return Record.for_case(case, status="error", error=str(exc), env=fingerprint(), **base)
    except Exception as exc:  # noqa: BLE001 - a crashed runtime is data, not a crash of the run
        status = "oom" if looks_like_oom(exc) else "error"
        return Record.for_case(case, status=status, error=f"{type(exc).__name__}: {first_line(exc)}",
                               env=fingerprint(), **base)
    peak = backend.peak_memory_bytes()
    if peak is None:
        peak = max(0, peak_rss_bytes() - rss_before)
    accuracy = _check_output(backend, spec, case, inputs, options.tolerances) if options.check_output else None
    warnings = list(measurement.warnings)
    if accuracy and case.precision in ("fp16", "bf16") and (accuracy.get("rel_l2") or 1) < 1e-5:
        # Real half precision can't agree with fp32 this closely: the runtime ran fp32 whatever it reports.
        backend.stack["effective_precision"] = "fp32"
        warnings.append(f"output matches fp32 to a relative error of {accuracy['rel_l2']:.1e}: "
                        f"{case.backend} likely ran fp32, not {case.precision}")
    flops, params = count_flops(case)
    base["timing"].update(stop_reason=measurement.stop_reason, warmup_calls=measurement.warmup_calls,
                          config=asdict(timer_config))
    record = Record.for_case(
        case, status="ok", env=fingerprint(), warnings=warnings, cold_start_s=measurement.cold_start_s,
        load_s=load_s, peak_memory_bytes=peak, flops=flops, params=params, stack=backend.stack,
        accuracy=accuracy, accuracy_ok=accuracy.get("accuracy_ok") if accuracy else None,
        finished_at=now_iso(), **base,
    ).with_samples(measurement.samples_s)
    if flops and record.latency_s:
        record = record.model_copy(update={"achieved_flops_per_s": flops / record.latency_s})
    backend.close()
    return record


def measure_generation_case(case: Case, options: RunOptions) -> Record:
    """A generation case: the causal model with a KV cache, timed token by token (generation/measure.py; on ONNX
    Runtime, generation/onnxruntime_kv.py)."""
    from infercost.generation.kv import kv_element_bytes
    from infercost.generation.measure import Generator, generation_record_fields, load_causal, measure

    config = options.timer
    base = {"run_id": options.run_id, "started_at": now_iso(), "timing": {"method": "generation"}}
    rss_before = rss_bytes()
    try:
        import torch

        spec = resolve_model(case.model)
        prompt = case.seq_len(spec.default_seq)
        cuda = case.device.startswith("cuda")
        t0 = time.perf_counter()
        if case.backend == "onnxruntime":
            from infercost.generation.onnxruntime_kv import OnnxGenerator, load_onnx_causal

            session, model_config, params, stack = load_onnx_causal(spec, case)
            load_s = time.perf_counter() - t0
            generator = OnnxGenerator(session, model_config, case, prompt, case.output_len, spec.vocab_size)
        else:
            model = load_causal(spec, case)
            load_s = time.perf_counter() - t0
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            generator = Generator(model, case, prompt, case.output_len, spec.vocab_size,
                                  sync=torch.cuda.synchronize if cuda else (lambda: None))
            params = model.infercost_params
            stack = {"framework": "torch", "torch": torch.__version__, "cache": generator.cache_kind,
                     "compiled": case.backend == "torch-compile",
                     "quantization": "dynamic int8 (linear layers)" if case.precision == "int8" else None}
        runs, cold = measure(generator, config.min_time_s, config.max_time_s)
        found = generation_record_fields(generator, runs, kv_element_bytes(case.precision))
    except UnsupportedError as exc:
        return Record.for_case(case, status="unsupported", error=str(exc), env=fingerprint(), **base)
    except InfercostError as exc:
        return Record.for_case(case, status="error", error=str(exc), env=fingerprint(), **base)
    except Exception as exc:  # noqa: BLE001 - an out-of-memory or a crash is data, not a crash of the run
        status = "oom" if looks_like_oom(exc) else "error"
        return Record.for_case(case, status=status, error=f"{type(exc).__name__}: {first_line(exc)}",
                               env=fingerprint(), **base)
    peak = torch.cuda.max_memory_allocated() if cuda else max(0, peak_rss_bytes() - rss_before)
    return Record.for_case(case, status="ok", env=fingerprint(), cold_start_s=cold, load_s=load_s,
                           peak_memory_bytes=peak, params=params, stack=stack, generation=found,
                           finished_at=now_iso(), **base).with_samples([run[-1] for run in runs])


def main(argv: list[str]) -> int:
    die_with_parent()
    request = json.loads(Path(argv[0]).read_text())
    case = Case.from_dict(request["case"])
    options = RunOptions.from_dict(request)
    if options.memory_limit_bytes:
        import torch  # noqa: F401 - the runtime's own footprint is not part of the cap

        if not case.device.startswith("cuda"):
            limit_memory(options.memory_limit_bytes)
    record = measure_case(case, options)
    Path(argv[1]).write_text(record.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
