"""ONNX files for the ONNX Runtime and OpenVINO backends: export once per model, options and exporter version.

fp16 files are exported from the model converted to half precision; int8 files are quantized by onnxruntime
(static QDQ with random calibration data: right for timing, not for accuracy; dynamic quantization as fallback).

Runtime layer (backends).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import warnings
from pathlib import Path

from infercost.errors import BackendError
from infercost.models.onnx_file import read_inputs
from infercost.models.zoo import ModelSpec
from infercost.paths import cache_dir

OPSET = 17
_ONNX_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
               "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(uint8)": "uint8", "tensor(int8)": "int8"}


def _exporter_version() -> str:
    """What an exported file depends on besides the model's name and options: exporter and model code."""
    import torch

    from infercost.version import __version__

    code = hashlib.sha256()
    for source in sorted((Path(__file__).parents[1] / "models").glob("*.py")):
        code.update(source.read_bytes())
    return f"torch-{torch.__version__}-opset{OPSET}-infercost-{__version__}-models-{code.hexdigest()[:12]}"


def _key(spec: ModelSpec, options: dict, precision: str, extra: str = "") -> str:
    payload = json.dumps({"model": spec.name, "options": options, "precision": precision, "extra": extra,
                          "exporter": _exporter_version()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _files(spec: ModelSpec) -> str:
    """What a model read from a directory depends on: its files' names, sizes and times (new weights, new export)."""
    if spec.source != "hf":
        return ""
    return "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(Path(spec.path).iterdir())
                    if p.is_file())


def _atomic_target(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def export(spec: ModelSpec, options: dict, precision: str = "fp32", *, height: int = 64, width: int = 64) -> Path:
    """The cached ONNX file for a model, fp32 or fp16: dynamic batch, height and width where the model allows.

    A model whose graph can't take a dynamic size (VGG19's adaptive pooling under the tracing exporter) is
    exported at the case's size instead, cached per size.
    """
    if spec.source == "onnx":
        return Path(spec.path)
    stem = f"{spec.name.replace(':', '_').replace('/', '_')}-{_key(spec, options, precision, _files(spec))}"
    dynamic, static = cache_dir("onnx") / f"{stem}.onnx", cache_dir("onnx") / f"{stem}-{height}x{width}.onnx"
    for path in (dynamic, static):
        if path.exists():
            return path
    marker = dynamic.with_suffix(".static-only")
    if not marker.exists():
        try:
            return _export_to(spec, options, precision, height, width, dynamic, dynamic_spatial=True)
        except BackendError:
            marker.touch()
    return _export_to(spec, options, precision, height, width, static, dynamic_spatial=False)


def _export_to(spec: ModelSpec, options: dict, precision: str, height: int, width: int, path: Path,
               dynamic_spatial: bool) -> Path:
    import torch

    model = spec.create(**options)
    if spec.tokens:
        return _export_tokens(spec, model, precision, path)
    example = spec.example_input(1, height, width)
    if precision == "fp16":
        model, example = model.half(), example.half()
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_spatial else {0: "batch"}
    tmp = _atomic_target(path)
    try:
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(model, (example,), str(tmp), dynamo=False, opset_version=OPSET,
                                  input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": axes, "output": {0: "batch"}})
            except Exception:
                if dynamic_spatial:
                    raise
                # The tracing exporter can't express some ops at some sizes; torch.export can (slower).
                torch.onnx.export(model, (example,), str(tmp), dynamo=True, external_data=False,
                                  input_names=["input"], output_names=["output"],
                                  dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1, max=4096)}})
    except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
        tmp.unlink(missing_ok=True)
        raise BackendError(f"ONNX export of {spec.name} failed: {str(exc).splitlines()[0][:300]}") from exc
    os.replace(tmp, path)
    return path


def _export_tokens(spec: ModelSpec, model, precision: str, path: Path) -> Path:
    """A token model with dynamic batch and sequence axes on every input (ids, mask, type ids) and the output."""
    import torch

    example = spec.example_input(1, 1, 1, seq=16)
    args = tuple(example[name] for name in spec.token_inputs)
    if precision == "fp16":
        model = model.half()
    axes = {name: {0: "batch", 1: "seq"} for name in spec.token_inputs}
    tmp = _atomic_target(path)
    try:
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, str(tmp), dynamo=False, opset_version=OPSET,
                              input_names=list(spec.token_inputs), output_names=["output"],
                              dynamic_axes={**axes, "output": {0: "batch", 1: "seq"}})
    except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
        tmp.unlink(missing_ok=True)
        raise BackendError(f"ONNX export of {spec.name} failed: {str(exc).splitlines()[0][:300]}") from exc
    os.replace(tmp, path)
    return path


def quantized(spec: ModelSpec, options: dict, height: int, *, width: int) -> tuple[Path, dict]:
    """An int8 ONNX file and how it was quantized (stored in the record)."""
    source = export(spec, options, "fp32", height=height, width=width)
    path = cache_dir("onnx") / f"{source.stem}-int8-{height}x{width}.onnx"
    how = {"quantization": "static QDQ, per-channel weights", "calibration": "random data (timing only)"}
    if path.exists():
        return path, how
    import numpy as np
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    if spec.tokens:  # transformers: weights int8, activations quantized at run time
        tmp = _atomic_target(path)
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, path)
        return path, {"quantization": "dynamic (weights int8, activations at run time)", "calibration": "none"}
    first = read_inputs(source)[0]
    rng = np.random.default_rng(0)

    class RandomReader(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = 4

        def get_next(self) -> dict | None:
            if not self.left:
                return None
            self.left -= 1
            return {first.name: rng.random((1, spec.in_channels, height, width), dtype=np.float32)}

    tmp = _atomic_target(path)
    try:
        quantize_static(str(source), str(tmp), RandomReader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    except Exception:  # noqa: BLE001 - static quantization can fail on some graphs; dynamic is the fallback
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
        how = {"quantization": "dynamic (weights int8, activations at run time)", "calibration": "none"}
    os.replace(tmp, path)
    for stray in path.parent.glob("*-inferred.onnx"):
        stray.unlink(missing_ok=True)
    return path, how


