"""A model's profile, layer by layer: FLOPs, weight and activation bytes, arithmetic intensity, parameters.

Leaf modules are traced on the meta device (no memory, no weights initialised), so any resolution and batch is
cheap. FLOPs count 2 per multiply-add of convolutions and matrix products, as torch.utils.flop_counter does;
element-wise layers count 0 FLOPs but their bytes, which is what bounds them.
"""

from __future__ import annotations

import functools

import torch
from pydantic import BaseModel
from torch import nn

from infercost.errors import UsageError
from infercost.models import resolve_model

BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}


class LayerProfile(BaseModel):
    name: str
    kind: str
    flops: int
    weight_bytes: int
    activation_bytes: int  # read + written
    params: int

    @property
    def bytes(self) -> int:
        return self.weight_bytes + self.activation_bytes

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes if self.bytes else 0.0


class ModelProfile(BaseModel):
    model: str
    batch_size: int
    height: int
    width: int
    precision: str
    layers: list[LayerProfile]
    peak_activation_bytes: int

    @property
    def flops(self) -> int:
        return sum(layer.flops for layer in self.layers)

    @property
    def weight_bytes(self) -> int:
        return sum(layer.weight_bytes for layer in self.layers)

    @property
    def activation_bytes(self) -> int:
        return sum(layer.activation_bytes for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    def totals(self) -> dict:
        total_bytes = self.weight_bytes + self.activation_bytes
        return {"flops": self.flops, "weight_bytes": self.weight_bytes, "activation_bytes": self.activation_bytes,
                "intensity": self.flops / total_bytes if total_bytes else 0.0, "params": self.params,
                "layers": len(self.layers), "peak_activation_bytes": self.peak_activation_bytes}


def _numel(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)):
        return sum(_numel(v) for v in value)
    return 0


def _flops(module: nn.Module, inputs, output) -> int:
    out = output.numel() if isinstance(output, torch.Tensor) else 0
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        return 2 * _numel(inputs) * module.out_channels // module.groups * kh * kw
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return 2 * out * module.in_channels // module.groups * kh * kw
    if isinstance(module, nn.Linear):
        return 2 * out * module.in_features
    return 0


@functools.lru_cache(maxsize=64)
def profile_model(name: str, batch: int = 1, height: int | None = None, width: int | None = None,
                  precision: str = "fp32") -> ModelProfile:
    spec = resolve_model(name)
    if spec.source in ("onnx", "pt2"):
        raise UsageError(f"profiling {spec.source} files is not supported yet; profile the torch model instead")
    if precision not in BYTES:
        raise UsageError(f"unknown precision {precision!r}")
    height = height or spec.default_resolution
    width = width or height
    size = BYTES[precision]
    with torch.device("meta"):
        model = spec.create()
    layers: list[LayerProfile] = []
    peak = [0]

    def hook(module, inputs, output, name=""):
        acts = (_numel(inputs) + _numel(output)) * size
        peak[0] = max(peak[0], acts)
        params = sum(p.numel() for p in module.parameters(recurse=False))
        layers.append(LayerProfile(name=name, kind=type(module).__name__, flops=_flops(module, inputs, output),
                                   weight_bytes=params * size, activation_bytes=acts, params=params))

    handles = [m.register_forward_hook(functools.partial(hook, name=n)) for n, m in model.named_modules()
               if not list(m.children())]
    with torch.no_grad():
        model(torch.empty(batch, spec.in_channels, height, width, device="meta"))
    for handle in handles:
        handle.remove()
    return ModelProfile(model=name, batch_size=batch, height=height, width=width, precision=precision,
                        layers=layers, peak_activation_bytes=peak[0])
