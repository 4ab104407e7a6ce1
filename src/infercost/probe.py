"""The device's own ceilings, measured: the best matrix-multiply rate per precision and the memory copy bandwidth.

Cached per machine and device, so every bench record can say what fraction of the ceiling its stack reached.

Runtime layer (probe).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from infercost.env import fingerprint, machine_key
from infercost.paths import cache_dir
from infercost.results.record import Record
from infercost.timing import DeviceClock, Timer, TimerConfig

_PROBE_TIMER = TimerConfig(min_calls=5, min_time_s=1.0, max_calls=500, max_time_s=4.0, warmup_calls=2,
                           warmup_time_s=0.1, ci_rel=0.03)


def _sync_for(device: str) -> Callable[[], None]:
    import torch

    if device.startswith("cuda"):
        return lambda: torch.cuda.synchronize(device)
    if device == "mps":
        return torch.mps.synchronize
    return lambda: None


def _int8_linear_cpu(n: int) -> Callable[[], object]:
    """oneDNN's int8 GEMM through torch's quantized Linear: on this kind of CPU it beats torch._int_mm."""
    import warnings

    import torch

    torch.backends.quantized.engine = "onednn"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear = torch.ao.nn.quantized.Linear(n, n)
        linear.set_weight_bias(torch.quantize_per_tensor(torch.randn(n, n), 0.01, 0, torch.qint8), None)
        x = torch.quantize_per_tensor(torch.rand(n, n), 0.01, 0, torch.quint8)
    return lambda: linear(x)


def _int8_candidates(device: str, n: int) -> list[tuple[Callable[[], object], str]]:
    import torch

    a = torch.randint(-128, 127, (n, n), dtype=torch.int8, device=device)
    b = torch.randint(-128, 127, (n, n), dtype=torch.int8, device=device)
    found = [((lambda: torch._int_mm(a, b)), "torch._int_mm")]
    if device == "cpu" and "onednn" in torch.backends.quantized.supported_engines:
        found.append((_int8_linear_cpu(n), "torch quantized Linear (oneDNN)"))
    return found


def _best_int8(device: str, n: int) -> tuple[float | None, str]:
    best, library = None, "no int8 GEMM available"
    for fn, name in _int8_candidates(device, n):
        try:
            rate = 2 * n**3 / Timer(fn, DeviceClock(_sync_for(device)), _PROBE_TIMER).measure().stats.median_s
        except (RuntimeError, NotImplementedError):
            continue
        if best is None or rate > best:
            best, library = rate, name
    return best, library


def _matmul_rate(device: str, precision: str, n: int) -> tuple[float | None, str]:
    """FLOP/s (2 per multiply-add) of an n x n matmul through the fastest library found (oneDNN/MKL, cuBLAS)."""
    import torch

    if precision == "int8":
        return _best_int8(device, n)
    try:
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        m = Timer(lambda: torch.matmul(a, b), DeviceClock(_sync_for(device)), _PROBE_TIMER).measure()
    except (RuntimeError, NotImplementedError) as exc:
        return None, f"unsupported: {str(exc).splitlines()[0][:120]}"
    return 2 * n**3 / m.stats.median_s, "torch.matmul"


def _matmul_onnx(n: int, integer: bool) -> bytes:
    """An ONNX graph of one n x n MatMul (float32) or MatMulInteger (uint8 in, int32 out)."""
    from onnx import TensorProto, helper

    kind = TensorProto.UINT8 if integer else TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info(name, kind, [n, n]) for name in ("a", "b")]
    output = helper.make_tensor_value_info("y", TensorProto.INT32 if integer else kind, [n, n])
    node = helper.make_node("MatMulInteger" if integer else "MatMul", ["a", "b"], ["y"])
    model = helper.make_model(helper.make_graph([node], "matmul", inputs, [output]),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _runtime_matmuls(precision: str, n: int) -> list[tuple[Callable[[], object], str]]:
    """The same matmul through the other installed CPU runtimes: ONNX Runtime (fp32, int8) and OpenVINO's oneDNN
    (fp32, bf16 by its inference-precision hint); each one that fails to build is left out."""
    import numpy as np

    found = []
    data = {"a": np.random.rand(n, n).astype(np.float32), "b": np.random.rand(n, n).astype(np.float32)}
    if precision in ("fp32", "int8"):
        try:
            import onnxruntime as ort

            integer = precision == "int8"
            feed = {k: (v * 100).astype(np.uint8) for k, v in data.items()} if integer else data
            session = ort.InferenceSession(_matmul_onnx(n, integer), providers=["CPUExecutionProvider"])
            name = f"ONNX Runtime {'MatMulInteger' if integer else 'MatMul'}"
            found.append(((lambda: session.run(None, feed)), name))
        except Exception:  # noqa: BLE001 - a runtime that can't run it simply doesn't count
            pass
    if precision in ("fp32", "bf16"):
        try:
            import tempfile

            import openvino as ov

            with tempfile.NamedTemporaryFile(suffix=".onnx") as fh:
                fh.write(_matmul_onnx(n, False))
                fh.flush()
                compiled = ov.Core().compile_model(fh.name, "CPU", {"INFERENCE_PRECISION_HINT": {
                    "fp32": "f32", "bf16": "bf16"}[precision]})
            request = compiled.create_infer_request()
            found.append(((lambda: request.infer(data)), f"OpenVINO (oneDNN) MatMul, {precision} hint"))
        except Exception:  # noqa: BLE001 - as above
            pass
    return found


def _best_runtime(precision: str, n: int) -> tuple[float | None, str]:
    best, library = None, ""
    for fn, name in _runtime_matmuls(precision, n):
        rate = 2 * n**3 / Timer(fn, DeviceClock(lambda: None), _PROBE_TIMER).measure().stats.median_s
        if best is None or rate > best:
            best, library = rate, name
    return best, library


def _copy_bandwidth(device: str, nbytes: int) -> float:
    """Bytes read plus bytes written per second by a large device-to-device copy."""
    import torch

    src = torch.empty(nbytes // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    m = Timer(lambda: dst.copy_(src), DeviceClock(_sync_for(device)), _PROBE_TIMER).measure()
    return 2 * nbytes / m.stats.median_s


def cpu_chip(env: dict) -> str | None:
    """The catalog's CPU microarchitecture that the ISA flags name (per-core peaks are alike within each)."""
    flags, vendor = set(env.get("isa_flags") or []), (env.get("cpu_model") or "").lower()
    if "amd" in vendor:
        return "EPYC Genoa" if "avx512f" in flags else "EPYC Milan" if "avx2" in flags else None
    if "intel" in vendor or "xeon" in vendor:
        if flags & {"amx_bf16", "amx_int8", "amx_tile"}:
            return "Xeon Sapphire Rapids"
        if "avx512_vnni" in flags:
            return "Xeon Cascade Lake"
        return "Xeon Skylake" if "avx512f" in flags else "Xeon Broadwell" if "avx2" in flags else None
    return None


def theoretical_peaks(env: dict, accelerators: dict) -> tuple[dict[str, float], str] | None:
    """Per precision, the catalog's derived per-core peak of this CPU's microarchitecture times its cores: a ceiling
    the measured matmul may not reach (AMX, VNNI), so that no model can beat the stored peak. The catalog's
    accelerators are handed in (pricing.catalog.cpu_ceiling): the runtime layer reads no catalog itself."""
    chip = cpu_chip(env)
    if chip not in accelerators or not env.get("cpu_cores"):
        return None
    acc, cores = accelerators[chip], int(env["cpu_cores"])  # logical CPUs: a ceiling errs high, never low
    peaks = {p: acc.peak_flops(p) * cores for p in ("fp32", "bf16", "fp16", "int8") if acc.peak_flops(p)}
    return peaks, f"theoretical: catalog {chip} x {cores} cores ({acc.source})"


def run_probe(device: str = "cpu", precisions: tuple[str, ...] = ("fp32", "bf16", "fp16", "int8"),
              ceiling: tuple[dict[str, float], str] | None = None) -> dict:
    """The device's best measured matmul rate per precision and its copy bandwidth; on a CPU, a `ceiling` (the
    catalog's theoretical peaks and where they come from) is taken where it is above what was measured."""
    gpu = device.startswith("cuda")
    n = 8192 if gpu else 2048
    peaks, libraries, lower_bounds = {}, {}, {}
    for precision in precisions:
        rate, library = _matmul_rate(device, precision, n)
        other, name = _best_runtime(precision, n) if device == "cpu" else (None, "")
        if other and other > (rate or 0):
            rate, library = other, name
        libraries[precision] = library
        if rate:
            peaks[precision] = rate
    if gpu and "int8" in peaks:
        lower_bounds["int8"] = ("torch._int_mm is not known to reach the int8 tensor cores' peak here: a lower "
                                "bound, raised by any model that beats it")
    found = ceiling if device == "cpu" else None
    for precision, rate in (found[0] if found else {}).items():
        if precision in precisions and rate > peaks.get(precision, 0):
            peaks[precision], libraries[precision] = rate, found[1]
    return {"device": device, "matmul_size": n, "peak_flops_per_s": peaks, "library": libraries,
            "lower_bounds": lower_bounds,
            "copy_bandwidth_bytes_per_s": _copy_bandwidth(device, (1 << 30) if gpu else (256 << 20)),
            "machine": machine_key(fingerprint())}


def probeable(device: str) -> bool:
    """Whether the probe can measure this device's ceilings (CPUs and CUDA GPUs; not MPS)."""
    return device.partition(":")[0] in ("cpu", "cuda")


Ceiling = Callable[[], "tuple[dict[str, float], str] | None"]  # the catalog's CPU peaks, asked for only when probing


def device_probe(device: str, wanted: bool = True, ceiling: Ceiling | None = None) -> dict | None:
    """This device's cached ceilings (measured once if missing, `ceiling()` then giving run_probe its ceiling), or
    None when not wanted or not probeable."""
    return cached_probe(device, ceiling=ceiling) if wanted and probeable(device) else None


def _cache_path(device: str):
    key = hashlib.sha256(f"{machine_key(fingerprint())}|{device}".encode()).hexdigest()[:16]
    return cache_dir("probe") / f"{key}.json"


def cached_probe(device: str = "cpu", run_if_missing: bool = True, ceiling: Ceiling | None = None) -> dict | None:
    path = _cache_path(device)
    if path.exists():
        return json.loads(path.read_text())
    if not run_if_missing:
        return None
    return save_probe(run_probe(device, ceiling=ceiling() if ceiling and device == "cpu" else None))


def save_probe(result: dict) -> dict:
    _cache_path(result["device"]).write_text(json.dumps(result, indent=2))
    return result


def effective_precision(record: Record) -> str:
    """The precision the runtime really ran at (OpenVINO's inference precision, a stack that ran fp32 anyway)."""
    return record.stack.get("effective_precision") or record.stack.get("precision") or record.precision


def with_peak(record: Record, probe: dict | None) -> Record:
    """The record with its fraction of the device's measured ceiling, where the probe knows one. A peak that a real
    model beats is no peak: the stored one is raised to what the model reached (in `probe`, and in the cache when
    the probe came from it), the record says so, and the fraction is 1."""
    precision = effective_precision(record)
    fraction = fraction_of_peak(record.achieved_flops_per_s, precision, probe)
    if not fraction:
        return record
    warnings = list(record.warnings)
    if fraction > 1:
        old = probe["peak_flops_per_s"][precision]
        probe["peak_flops_per_s"][precision] = record.achieved_flops_per_s
        probe.setdefault("raised_by", {})[precision] = f"{record.model} {record.backend} b{record.batch_size}"
        if probe.get("device") and probe.get("machine") == machine_key(fingerprint()):
            save_probe(probe)
        warnings.append(f"reached {record.achieved_flops_per_s / 1e12:.3g} TFLOP/s, above the probe's {precision} "
                        f"peak of {old / 1e12:.3g}: the stored peak is raised to it")
        fraction = 1.0
    return record.model_copy(update={"fraction_of_peak": fraction, "warnings": warnings})


def fraction_of_peak(achieved_flops_per_s: float | None, precision: str, probe: dict | None) -> float | None:
    peak = (probe or {}).get("peak_flops_per_s", {}).get(precision)
    return achieved_flops_per_s / peak if achieved_flops_per_s and peak else None
