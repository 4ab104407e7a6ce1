"""Runtimes behind one interface; registering a backend is one line in BACKENDS.

Runtime layer (backends).
"""

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
    "mxnet": "infercost.backends.foreign:MxnetBackend",
    "tensorflow": "infercost.backends.foreign:TensorflowBackend",
    "tensorflow-xla": "infercost.backends.foreign:TensorflowXlaBackend",
    "tflite": "infercost.backends.foreign:TfliteBackend",
}


def backend_class(name: str) -> type[Backend]:
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    module, _, attr = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def require_backend(name: str) -> type[Backend]:
    """The backend's class, ready to use; a backend with an environment of its own gets it created on first use."""
    cls = backend_class(name)
    environment = getattr(cls, "environment", None)
    if environment and cls.unavailable_reason():
        import sys

        from infercost import venvs

        venvs.create(environment, log=lambda text: print(text, file=sys.stderr))
    reason = cls.unavailable_reason()
    if reason:
        raise BackendUnavailableError(f"backend {name} is unavailable: {reason}")
    return cls


__all__ = ["BACKENDS", "Backend", "backend_class", "require_backend"]
