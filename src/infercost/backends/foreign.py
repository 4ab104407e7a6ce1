"""Backends whose framework lives in a Python environment of its own (MXNet, TensorFlow, TensorFlow Lite).

In this process they only describe themselves; the Runner measures their cases with the environment's interpreter
(`python -m infercost.foreign.worker`), with the same time-out, memory cap and record as any other case.

Runtime layer (backends).
"""

from __future__ import annotations

from typing import ClassVar

from infercost import venvs
from infercost.backends.base import Backend
from infercost.errors import BackendError


class ForeignBackend(Backend):
    environment: ClassVar[str]
    framework: ClassVar[str]  # the distribution whose version is the backend's

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if venvs.python_for(cls.environment):
            return None
        return (f"its environment is not created yet: `infercost envs create {cls.environment}` (or measure once with "
                f"--backend {cls.name}, which creates it), or point INFERCOST_PYTHON_{cls.environment.upper()} at a "
                f"Python that has {cls.framework}")

    @classmethod
    def version(cls) -> str | None:
        return venvs.describe(cls.environment).get("versions", {}).get(cls.framework)

    def load(self) -> None:
        raise BackendError(f"{self.name} runs in its own environment: measure it through the Runner")

    def run(self, inputs):
        raise BackendError(f"{self.name} runs in its own environment: measure it through the Runner")


class MxnetBackend(ForeignBackend):
    name = "mxnet"
    environment = "mxnet"
    framework = "mxnet"
    precisions = ("fp32", "fp16")


class TensorflowBackend(ForeignBackend):
    name = "tensorflow"
    environment = "tensorflow"
    framework = "tensorflow-cpu"
    precisions = ("fp32", "fp16", "bf16")


class TensorflowXlaBackend(TensorflowBackend):
    name = "tensorflow-xla"


class TfliteBackend(TensorflowBackend):
    name = "tflite"
    precisions = ("fp32", "fp16")
