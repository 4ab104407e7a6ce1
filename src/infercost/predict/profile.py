"""A model's profile, op by op (FLOPs, weight and activation bytes, arithmetic intensity, parameters): a torch model
on the meta device through models.ops, an ONNX file node by node through predict.onnx_profile.

Profiles of named models (the zoo, torchvision) are kept on disk, keyed by the model, the point and the versions of
torch, torchvision and infercost, so a prediction needs no framework import once a profile has been made.

Domain layer (predict).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib import metadata
from pathlib import Path

from infercost.errors import UsageError
from infercost.layers import BYTES, LayerProfile, ModelProfile
from infercost.paths import cache_dir

__all__ = ["BYTES", "LayerProfile", "ModelProfile", "profile_model"]


def _cache_file(name: str, batch: int, height: int | None, width: int | None, precision: str, seq: int | None):
    """Where a named model's profile is kept; None for files, user code and models registered in this process
    (they change without a version to key on)."""
    loaders = sys.modules.get("infercost.models.loaders")
    if not (name.startswith("torchvision:") or name.isidentifier()) or name in getattr(loaders, "_REGISTERED", {}):
        return None
    size = f"seq{seq}" if seq else f"{height}x{width}"
    return cache_dir("profiles") / f"{name.replace(':', '_')}-b{batch}-{size}-{precision}-{_code()}.json"


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """The versions a profile depends on: torch, torchvision, and infercost's own model and op-counting code."""
    digest = hashlib.sha256("-".join(_version(d) for d in ("torch", "torchvision")).encode())
    for path in sorted((Path(__file__).resolve().parents[1] / "models").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "none"


@functools.lru_cache(maxsize=64)
def profile_model(name: str, batch: int = 1, height: int | None = None, *, width: int | None = None,
                  precision: str = "fp32", seq: int | None = None) -> ModelProfile:
    """The profile at this batch and size: an image's height and width, or a token model's `seq` tokens (its default
    length when None)."""
    if precision not in BYTES:
        raise UsageError(f"unknown precision {precision!r}")
    cached = _cache_file(name, batch, height, width, precision, seq)
    if cached is not None and cached.exists():
        try:
            return ModelProfile.model_validate_json(cached.read_text())
        except ValueError:
            pass  # a torn or older file: profile again
    found = _profile(name, batch, height, width, precision, seq)
    if cached is not None:
        cached.write_text(found.model_dump_json())
    return found


def _profile(name: str, batch: int, height: int | None, width: int | None, precision: str,
             seq: int | None) -> ModelProfile:
    from infercost.models import resolve_model

    spec = resolve_model(name)
    if spec.source == "onnx":
        from infercost.predict.onnx_profile import profile_onnx

        return profile_onnx(spec, batch, height, width=width, precision=precision)
    if spec.llm is not None:  # a language model by its shape: counted from its numbers, nothing built
        seq = seq or spec.default_seq
        layers = spec.llm.prefill_layers(batch, seq, BYTES[precision])
        peak = 4 * batch * seq * spec.llm.hidden * BYTES[precision]
        return ModelProfile(model=name, batch_size=batch, height=1, width=1, precision=precision, layers=layers,
                            peak_activation_bytes=peak)
    if spec.source == "pt2":
        raise UsageError("profiling .pt2 files is not supported; profile the torch model or its ONNX export")
    from infercost.models.ops import record_ops

    height = height or spec.default_resolution
    width = width or height
    layers, peak = record_ops(spec, batch, height, width=width, size=BYTES[precision], seq=seq)
    return ModelProfile(model=name, batch_size=batch, height=height, width=width, precision=precision,
                        layers=layers, peak_activation_bytes=peak)
