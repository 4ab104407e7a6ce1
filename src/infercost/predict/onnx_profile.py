"""Profile an ONNX file node by node: shapes from ONNX shape inference at the asked batch and resolution, FLOPs for
convolutions and matrix products (2 per multiply-add, as for torch models), bytes read and written by every node.

Domain layer (predict).
"""

from __future__ import annotations

import math

from infercost.errors import UsageError
from infercost.layers import BYTES, LayerProfile, ModelProfile


def _load(path: str, batch: int, height: int, width: int):
    try:
        import onnx
    except ImportError:
        raise UsageError('profiling an ONNX file needs onnx: pip install "infercost[onnx]"') from None
    model = onnx.load(path)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise UsageError(f"{path}: profiling needs a model with one image input, it has {len(inputs)}")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise UsageError(f"{path}: the input has {len(dims)} dimensions, not NCHW")
    for dim, value in zip(dims, (batch, None, height, width), strict=True):
        if value is not None:
            dim.ClearField("dim_param")
            dim.dim_value = value
    for output in model.graph.output:  # let inference recompute them at this size
        output.type.tensor_type.ClearField("shape")
    return onnx.shape_inference.infer_shapes(model, strict_mode=False), inputs[0].name


def _shapes(model) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for info in [*model.graph.input, *model.graph.value_info, *model.graph.output]:
        dims = info.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = tuple(d.dim_value for d in dims)
    for init in model.graph.initializer:
        shapes[init.name] = tuple(init.dims)
    return shapes


def _attr(node, name: str, default):
    for attribute in node.attribute:
        if attribute.name == name:
            return list(attribute.ints) if attribute.ints else attribute.i
    return default


def _flops(node, shapes: dict) -> int:
    ins = [shapes.get(name) for name in node.input]
    out = shapes.get(node.output[0]) if node.output else None
    if node.op_type == "Conv" and out and ins[1]:
        weight = ins[1]  # (out channels, in channels / group, kh, kw)
        return 2 * math.prod(out) * math.prod(weight[1:])
    if node.op_type == "ConvTranspose" and ins[0] and ins[1]:
        weight = ins[1]  # (in channels, out channels / group, kh, kw)
        return 2 * math.prod(ins[0]) * math.prod(weight[1:])
    if node.op_type in ("Gemm", "MatMul") and out and ins[0]:
        k = ins[0][-1] if not (node.op_type == "Gemm" and _attr(node, "transA", 0)) else ins[0][0]
        return 2 * math.prod(out) * k
    return 0


def profile_onnx(spec, batch: int, height: int | None, *, width: int | None, precision: str) -> ModelProfile:
    if precision not in BYTES:
        raise UsageError(f"unknown precision {precision!r}")
    height = height or spec.default_resolution
    width = width or height
    model, _ = _load(spec.path, batch, height, width)
    shapes = _shapes(model)
    weights = {init.name for init in model.graph.initializer}
    size, seen, layers, peak = BYTES[precision], set(), [], 0
    for index, node in enumerate(model.graph.node):
        known = [n for n in [*node.input, *node.output] if n and n not in shapes]
        if known and node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            raise UsageError(f"{spec.path}: shape inference left {known[0]!r} unknown; export with static shapes")
        weight = [n for n in node.input if n in weights]
        params = sum(math.prod(shapes[n]) for n in weight if n not in seen)
        seen.update(weight)
        acts = sum(math.prod(shapes[n]) for n in [*node.input, *node.output] if n in shapes and n not in weights)
        peak = max(peak, acts * size)
        layers.append(LayerProfile(name=node.name or f"{node.op_type}_{index}", kind=node.op_type,
                                   flops=_flops(node, shapes),
                                   weight_bytes=sum(math.prod(shapes[n]) for n in weight) * size,
                                   activation_bytes=acts * size, params=params))
    return ModelProfile(model=spec.name, batch_size=batch, height=height, width=width, precision=precision,
                        layers=layers, peak_activation_bytes=peak)
