"""A model's profile, op by op (FLOPs, weight and activation bytes, arithmetic intensity, parameters): a torch model
on the meta device through models.ops, an ONNX file node by node through predict.onnx_profile.

Domain layer (predict).
"""

from __future__ import annotations

import functools

from infercost.errors import UsageError
from infercost.models import resolve_model
from infercost.models.ops import BYTES, LayerProfile, ModelProfile, record_ops

__all__ = ["BYTES", "LayerProfile", "ModelProfile", "profile_model"]


@functools.lru_cache(maxsize=64)
def profile_model(name: str, batch: int = 1, height: int | None = None, width: int | None = None,
                  precision: str = "fp32") -> ModelProfile:
    spec = resolve_model(name)
    if spec.source == "onnx":
        from infercost.predict.onnx_profile import profile_onnx

        return profile_onnx(spec, batch, height, width, precision)
    if spec.source == "pt2":
        raise UsageError("profiling .pt2 files is not supported; profile the torch model or its ONNX export")
    if precision not in BYTES:
        raise UsageError(f"unknown precision {precision!r}")
    height = height or spec.default_resolution
    width = width or height
    layers, peak = record_ops(spec, batch, height, width, BYTES[precision])
    return ModelProfile(model=name, batch_size=batch, height=height, width=width, precision=precision,
                        layers=layers, peak_activation_bytes=peak)
