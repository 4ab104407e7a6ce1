"""OpenVINO: CPU (and Intel GPU), precision hints, latency or throughput hints, a model cache directory.

Runtime layer (backends).
"""

from __future__ import annotations

from typing import Any

from infercost.backends.base import Backend
from infercost.backends.onnx_export import export, quantized
from infercost.errors import UnsupportedError
from infercost.models.onnx_file import feeds, read_inputs
from infercost.paths import cache_dir

_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
_ACTUAL = {"f32": "fp32", "bf16": "bf16", "f16": "fp16", "float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


class OpenVinoBackend(Backend):
    name = "openvino"
    packages = ("openvino", "onnx")
    extra = "openvino"
    precisions = ("fp32", "bf16", "fp16", "int8")

    @classmethod
    def devices(cls) -> list[str]:
        import openvino as ov

        return [d.lower() for d in ov.Core().available_devices if d.split(".")[0] in ("CPU", "GPU")]

    def load(self) -> None:
        import openvino as ov

        device = self.case.device.split(":")[0].upper()
        if device not in ("CPU", "GPU"):
            raise UnsupportedError(f"OpenVINO runs on cpu or an Intel gpu, not {self.case.device}")
        core = ov.Core()
        core.set_property({"CACHE_DIR": str(cache_dir("openvino"))})
        options = self.case.model_options
        if self.case.precision == "int8":
            path, how = quantized(self.spec, options, self.case.height, width=self.case.width)
            self.stack.update(how)
        else:
            path = export(self.spec, options, "fp32", height=self.case.height, width=self.case.width)
        model = core.read_model(str(path))
        self.path, self.inputs = path, read_inputs(path)
        self.input = self.inputs[0]
        model.reshape({name: ov.PartialShape(list(shape)) for name, shape in self._shapes().items()})
        hint = str(self.case.option("performance_hint", "LATENCY")).upper()
        config = {"PERFORMANCE_HINT": hint}
        if self.case.precision in _HINTS:
            config["INFERENCE_PRECISION_HINT"] = _HINTS[self.case.precision]
        try:
            compiled = core.compile_model(model, device, config)
        except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
            if "precision" in str(exc).lower() or "not supported" in str(exc).lower():
                raise UnsupportedError(f"OpenVINO can't run {self.case.precision} on {device}: {exc}") from exc
            self.reraise(exc, "compiling the OpenVINO model")
        ran_at = compiled.get_property("INFERENCE_PRECISION_HINT")
        actual = _ACTUAL.get(ran_at.get_type_name() if hasattr(ran_at, "get_type_name") else str(ran_at), str(ran_at))
        self.stack.update(device=device, performance_hint=hint, openvino=ov.__version__,
                          inference_precision=actual, precision="int8" if self.case.precision == "int8" else actual)
        if self.case.precision in _HINTS and actual != self.case.precision:
            raise UnsupportedError(f"OpenVINO on {device} runs {actual} when asked for {self.case.precision}")
        self.request = compiled.create_infer_request()
        self.compiled = compiled

    def _shapes(self) -> dict[str, tuple]:
        """Every input's shape: a user's file binds its named dimensions (--dim); an exported model is an image."""
        case = self.case
        dims = case.dims if self.spec.source == "onnx" or self.spec.tokens else {}
        inputs = self.inputs if self.spec.source == "onnx" or self.spec.tokens else self.inputs[:1]
        return {i.name: i.bind(case.batch_size, case.height, case.width, dims) for i in inputs}

    def make_input(self, seed: int = 0) -> Any:
        if self.spec.source == "onnx":
            return feeds(self.path, self.inputs, self._shapes(), seed=seed)
        if self.spec.tokens:  # a zoo token model: ids, mask and type ids by name
            made = self.spec.example_input(self.case.batch_size, None, None, seed=seed,
                                           seq=self.case.seq_len(self.spec.default_seq))
            return {name: tensor.numpy() for name, tensor in made.items()}
        shape = self._shapes()[self.input.name]
        return self.spec.example_input(shape[0], shape[2], shape[3], seed=seed).numpy()

    def run(self, inputs: Any) -> Any:
        return self.request.infer(inputs if isinstance(inputs, dict) else {0: inputs})

    def to_numpy(self, output: Any) -> Any:
        import numpy as np

        return np.asarray(output[self.compiled.outputs[0]], dtype=np.float32)

    def close(self) -> None:
        self.request = self.compiled = None
