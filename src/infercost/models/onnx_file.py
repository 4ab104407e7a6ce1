"""An ONNX model file's inputs: names, shapes (ints, or names of dynamic dimensions) and element types.

Runtime layer (models). A file that is no ONNX model is a UsageError naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infercost.errors import BackendUnavailableError, UsageError
from infercost.textfiles import first_line


@dataclass(frozen=True)
class OnnxInput:
    name: str
    shape: tuple  # ints, or strings for dynamic dimensions
    dtype: str


def read_inputs(path: Path) -> list[OnnxInput]:
    """Input names, shapes and types from an ONNX file (graph inputs that are not initializers)."""
    try:
        import onnx
    except ImportError:
        raise BackendUnavailableError('reading an ONNX file needs onnx: pip install "infercost[onnx]"') from None
    try:
        model = onnx.load(str(path), load_external_data=False)
        initializers = {init.name for init in model.graph.initializer}
        inputs = []
        for value in model.graph.input:
            if value.name in initializers:
                continue
            tensor = value.type.tensor_type
            shape = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim)
            dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
            inputs.append(OnnxInput(value.name, shape, dtype))
    except Exception as exc:  # protobuf's DecodeError, an unknown element type: the file is not an ONNX model
        raise UsageError(f"{path}: not an ONNX model ({first_line(exc, 120)})") from None
    if not inputs or not model.graph.node:
        raise UsageError(f"{path}: not an ONNX model (no graph inputs or no nodes)")
    return inputs


def file_resolution(path: Path) -> tuple[int, int] | None:
    """(height, width) fixed in an ONNX file's image input, or None when they are dynamic."""
    first = read_inputs(path)[0]
    if len(first.shape) == 4 and all(isinstance(d, int) and d > 0 for d in first.shape[2:]):
        return first.shape[2], first.shape[3]
    return None
