"""Runtimes behind one interface; registering a backend is one line in BACKENDS."""

from __future__ import annotations

import importlib

from infercost.backends.base import Backend
from infercost.errors import BackendUnavailableError, UsageError

BACKENDS: dict[str, str] = {
    "torch": "infercost.backends.torch_eager:TorchBackend",
    "torch-compile": "infercost.backends.torch_compile:TorchCompileBackend",
    "onnxruntime": "infercost.backends.onnxruntime_backend:OnnxRuntimeBackend",
    "openvino": "infercost.backends.openvino_backend:OpenVinoBackend",
    "tensorrt": "infercost.backends.onnxruntime_backend:TensorRtBackend",
}


def backend_class(name: str) -> type[Backend]:
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    module, _, attr = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def require_backend(name: str) -> type[Backend]:
    cls = backend_class(name)
    reason = cls.unavailable_reason()
    if reason:
        raise BackendUnavailableError(f"backend {name} is unavailable: {reason}")
    return cls


__all__ = ["BACKENDS", "Backend", "backend_class", "require_backend"]
