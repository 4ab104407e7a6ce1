"""An ONNX model file's inputs (names, element types, shapes of ints and named dynamic dimensions), and data for them.

Runtime layer (models). A file that is no ONNX model is a UsageError naming the file.
"""

from __future__ import annotations

from pathlib import Path

from infercost.errors import BackendUnavailableError, UsageError
from infercost.inputs import Input
from infercost.textfiles import one_line


def read_inputs(path: Path) -> list[Input]:
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
            inputs.append(Input(value.name, dtype, shape))
    except Exception as exc:  # protobuf's DecodeError, an unknown element type: the file is not an ONNX model
        raise UsageError(f"{path}: not an ONNX model ({one_line(exc, 120)})") from None
    if not inputs or not model.graph.node:
        raise UsageError(f"{path}: not an ONNX model (no graph inputs or no nodes)")
    return inputs


def file_resolution(path: Path) -> tuple[int, int] | None:
    """(height, width) fixed in an ONNX file's image input, or None when they are dynamic."""
    first = read_inputs(path)[0]
    if len(first.shape) == 4 and all(isinstance(d, int) and d > 0 for d in first.shape[2:]):
        return first.shape[2], first.shape[3]
    return None


def vocabularies(path: Path) -> dict[str, int]:
    """For each integer graph input that feeds an embedding lookup (Gather on an initializer), that table's rows."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    tables = {init.name: init.dims[0] for init in model.graph.initializer if init.dims}
    found = {}
    for node in model.graph.node:
        if node.op_type == "Gather" and len(node.input) == 2 and node.input[0] in tables:
            found.setdefault(node.input[1], tables[node.input[0]])
    return found


def feeds(path: Path, inputs: list[Input], shapes: dict[str, tuple], *, seed: int = 0) -> dict:
    """Data for every input: floats uniform in [0, 1); token ids within the vocabulary of the embedding they feed (2
    where none is found); attention masks all ones; token-type ids zeros."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = vocabularies(path) if any(np.dtype(i.dtype).kind in "iu" for i in inputs) else {}
    data = {}
    for inp in inputs:
        dtype, shape, lowered = np.dtype(inp.dtype), shapes[inp.name], inp.name.lower()
        if dtype.kind == "f":
            data[inp.name] = rng.random(shape).astype(dtype)
        elif "mask" in lowered:
            data[inp.name] = np.ones(shape, dtype=dtype)
        elif "type" in lowered or "segment" in lowered:
            data[inp.name] = np.zeros(shape, dtype=dtype)
        else:
            data[inp.name] = rng.integers(0, vocab.get(inp.name, 2), shape).astype(dtype)
    return data
