"""An ONNX model file's inputs: names, shapes (ints, or names of dynamic dimensions) and element types.

Runtime layer (models). A file that is no ONNX model is a UsageError naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infercost.case import BATCH_NAMES, SEQ_NAMES
from infercost.errors import BackendUnavailableError, UsageError
from infercost.textfiles import one_line


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


def bound_shape(inp: OnnxInput, batch: int, height: int, width: int, dims: dict[str, int]) -> tuple[int, ...]:
    """An input's shape with every dynamic dimension filled: a named one from `dims`; batch, N or batch_size, or
    the first, from the batch; an NCHW image's third and fourth from the height and width. A dimension nothing fills
    is an error that says how to bind it."""
    shape = list(inp.shape)
    image = len(shape) == 4
    for index, dim in enumerate(shape):
        if isinstance(dim, int) and dim > 0:
            if image and index in (2, 3) and dim != (height, width)[index - 2]:
                raise UsageError(f"input {inp.name!r} is fixed at {shape[3]}x{shape[2]}; "
                                 f"the resolution {width}x{height} does not fit it")
            continue
        name = str(dim)
        if name in dims:
            shape[index] = dims[name]
        elif index == 0 or name.lower() in BATCH_NAMES:
            shape[index] = batch
        elif image and index in (2, 3):
            shape[index] = (height, width)[index - 2]
        else:
            raise UsageError(f"input {inp.name!r} has a dynamic dimension {dim!r} at position {index}: bind it with "
                             f"--dim {name}=VALUE" + (" or --seq-len" if name.lower() in SEQ_NAMES else ""))
    return tuple(shape)


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


def feeds(path: Path, inputs: list[OnnxInput], shapes: dict[str, tuple], seed: int = 0) -> dict:
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
