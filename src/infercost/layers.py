"""A model's profile as data: its layers with FLOPs, weight and activation bytes and parameters, and the totals.

Core layer: pydantic only, so a profile read back from the cache needs no framework.
"""

from __future__ import annotations

from pydantic import BaseModel

# Bytes an element takes at each precision: the one table for profiles, predictions and KV-cache sizes. tf32 is
# fp32 stored, multiplied at tensor-core speed (published GPU results use it). Language models are also served in
# fp8 (W8A8, e4m3), with int8 or 4-bit weights and 16-bit activations (W8A16, W4A16: AWQ, GPTQ, GGUF q4), and in
# fp4 on Blackwell and MI355X; the KV cache keeps its own precision.
BYTES = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp8": 1, "w8a16": 1, "w4a16": 0.5, "fp4": 0.5}
# The precision a weight-only format multiplies in (its weights are widened on the way).
COMPUTE_PRECISION = {"w8a16": "fp16", "w4a16": "fp16"}
# Precisions only a language model's shape is predicted at (a measured or profiled network takes the first five).
LLM_ONLY = ("fp8", "w8a16", "w4a16", "fp4")


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
