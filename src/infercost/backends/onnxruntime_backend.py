"""ONNX Runtime: the CPU execution provider with thread settings, CUDA and TensorRT providers where present.

Runtime layer (backends).
"""

from __future__ import annotations

from typing import Any, ClassVar

from infercost.backends.base import Backend, first_line
from infercost.backends.onnx_export import export, quantized
from infercost.errors import UnsupportedError
from infercost.models.onnx_file import feeds, read_inputs

_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    packages = ("onnxruntime", "onnx")
    extra = "onnx"
    precisions = ("fp32", "fp16", "int8")
    distributions = ("onnxruntime", "onnxruntime-gpu")
    provider: ClassVar[str | None] = None  # None: by device; a subclass pins one (TensorRT)

    @classmethod
    def devices(cls) -> list[str]:
        import onnxruntime as ort

        available = ort.get_available_providers()
        found = [] if cls.provider else ["cpu"]
        wanted = cls.provider or "CUDAExecutionProvider"
        if wanted in available and _cuda_count():
            found += ["cuda"]
        return found

    def _providers(self) -> list:
        import onnxruntime as ort

        kind, _, index = self.case.device.partition(":")
        wanted = self.provider or _PROVIDERS.get(kind)
        if wanted is None or wanted not in ort.get_available_providers():
            raise UnsupportedError(f"onnxruntime {ort.__version__} has no provider for device {self.case.device} "
                                   f"(available: {', '.join(ort.get_available_providers())})")
        if wanted == "CPUExecutionProvider":
            return [wanted]
        options = {"device_id": int(index or 0)}
        if wanted == "TensorrtExecutionProvider":
            from infercost.paths import cache_dir

            options.update(trt_fp16_enable=self.case.precision == "fp16", trt_int8_enable=False,
                           trt_engine_cache_enable=True, trt_engine_cache_path=str(cache_dir("tensorrt")))
        return [(wanted, options)]

    def _model_path(self) -> str:
        options = self.case.model_options
        if self.case.precision == "int8":
            path, how = quantized(self.spec, options, self.case.height, width=self.case.width)
            self.stack.update(how)
            return str(path)
        if self.case.precision == "fp16" and self.spec.source == "onnx":
            raise UnsupportedError("fp16 of a user's ONNX file needs a converted file; infercost converts zoo "
                                   "and torch models only")
        return str(export(self.spec, options, self.case.precision, height=self.case.height, width=self.case.width))

    def load(self) -> None:
        import numpy as np
        import onnxruntime as ort

        providers = self._providers()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        threads = int(self.case.option("threads", 0) or 0)
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        path = self._model_path()
        try:
            self.session = ort.InferenceSession(path, options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - e.g. NOT_IMPLEMENTED for fp16 kernels on the CPU provider
            if "NOT_IMPLEMENTED" in str(exc) or "Could not find an implementation" in str(exc):
                raise UnsupportedError(f"onnxruntime can't run {self.case.precision} here: {first_line(exc)}") from exc
            self.reraise(exc, "creating the onnxruntime session")
        used = self.session.get_providers()[0]
        wanted = providers[0] if isinstance(providers[0], str) else providers[0][0]
        if used != wanted:
            raise UnsupportedError(f"onnxruntime fell back to {used} instead of {wanted}")
        self.inputs = read_inputs(path)
        self.input = self.inputs[0]
        self.dtype = np.dtype(self.input.dtype)
        self.stack.update(provider=used, threads=threads or "default", onnxruntime=ort.__version__,
                          precision=self.case.precision, model_file=path.rsplit("/", 1)[-1])

    def make_input(self, seed: int = 0) -> Any:
        case = self.case
        if self.spec.source == "onnx":  # a user's file: every input, its named dimensions bound (--dim)
            shapes = {i.name: i.bind(case.batch_size, case.height, case.width, case.dims) for i in self.inputs}
            return feeds(self._model_path(), self.inputs, shapes, seed=seed)
        if self.spec.tokens:  # a zoo token model: ids, mask and type ids by name, on the host
            made = self.spec.example_input(case.batch_size, None, None, seed=seed,
                                           seq=case.seq_len(self.spec.default_seq))
            return {name: tensor.numpy() for name, tensor in made.items()}
        shape = self.input.bind(case.batch_size, case.height, case.width, {})
        x = self.spec.example_input(shape[0], shape[2], shape[3], seed=seed).numpy().astype(self.dtype)
        if self.case.device.startswith("cuda"):
            return self._bind(x)
        return x

    def _bind(self, x: Any) -> Any:
        """On a GPU the input stays on the device, so the timed call is inference, not a host copy."""
        import onnxruntime as ort

        index = int(self.case.device.partition(":")[2] or 0)
        binding = self.session.io_binding()
        binding.bind_ortvalue_input(self.input.name, ort.OrtValue.ortvalue_from_numpy(x, "cuda", index))
        for output in self.session.get_outputs():
            binding.bind_output(output.name, "cuda", index)
        self.binding = binding
        return binding

    def run(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):  # a user's file, every input fed from the host
            return self.session.run(None, inputs)
        if self.case.device.startswith("cuda"):
            self.session.run_with_iobinding(inputs)
            return inputs
        return self.session.run(None, {self.input.name: inputs})

    def sync(self) -> None:
        if self.case.device.startswith("cuda"):
            self.binding.synchronize_outputs()

    def to_numpy(self, output: Any) -> Any:
        import numpy as np

        if self.case.device.startswith("cuda"):
            output = output.copy_outputs_to_cpu()
        return np.asarray(output[0], dtype=np.float32)

    def close(self) -> None:
        self.session = None


class TensorRtBackend(OnnxRuntimeBackend):
    """TensorRT through onnxruntime's TensorRT execution provider (needs onnxruntime-gpu and TensorRT)."""

    name = "tensorrt"
    extra = "gpu"
    precisions = ("fp32", "fp16")
    provider = "TensorrtExecutionProvider"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = super().unavailable_reason()
        if reason:
            return reason
        import onnxruntime as ort

        if cls.provider not in ort.get_available_providers():
            return 'onnxruntime has no TensorRT provider here: pip install "infercost[gpu]" on a machine with CUDA'
        return None


def _cuda_count() -> int:
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0
