"""A model's forward pass op by op: FLOPs, weight and activation bytes, parameters, named after the module that ran it.

The model runs on the meta device (no memory, no weights initialised), so any resolution and batch is cheap, under a
dispatch mode that sees every ATen operator the forward pass runs: convolutions and matrix products, and also the
functional ones a module-level count misses (residual additions, concatenations, interpolations, pixel shuffles).
FLOPs are torch.utils.flop_counter's formulas (2 per multiply-add); other ops count 0 FLOPs but their bytes, which is
what bounds them. Views move no data and are left out. The zoo's FLOP counts and predict's profiles both come from
here. Runtime layer (models).
"""

from __future__ import annotations

import functools

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import flop_registry

from infercost.layers import BYTES, LayerProfile, ModelProfile  # noqa: F401 - the profile's data, re-exported


class OpRecorder(TorchDispatchMode):
    """Records every non-view ATen op with its FLOPs and the bytes it reads and writes."""

    def __init__(self, weights: dict[int, int], params: set[int], size: int, where: list[str]) -> None:
        super().__init__()
        self.weights, self.params, self.size, self.where = weights, params, size, where  # tensor id -> root id
        self.alive: list[torch.Tensor] = []
        self.seen_params: set[int] = set()
        self.layers: list[LayerProfile] = []
        self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        outputs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        if func.is_view:  # views move no data; a view of a weight (a transposed Linear weight) is that weight
            root = next((self.weights[id(t)] for t in inputs if id(t) in self.weights), None)
            for view in outputs if root is not None else ():
                self.weights[id(view)] = root
                self.alive.append(view)  # keep it, so that its id can't be reused by an activation
            return out
        if not inputs:
            return out  # factories (empty, zeros) read nothing
        packet = func._overloadpacket
        flops = int(flop_registry[packet](*args, **kwargs, out_val=out)) if packet in flop_registry else 0
        weight = [t for t in inputs if id(t) in self.weights]
        roots = {self.weights[id(t)]: t.numel() for t in weight}
        params = sum(n for root, n in roots.items() if root in self.params and root not in self.seen_params)
        self.seen_params.update(roots)
        acts = (sum(t.numel() for t in inputs if id(t) not in self.weights) + sum(t.numel() for t in outputs))
        acts *= self.size
        self.peak = max(self.peak, acts)
        name = packet.__name__
        self.layers.append(LayerProfile(name=f"{self.where[-1]}.{name}" if self.where[-1] else name, kind=name,
                                        flops=flops, weight_bytes=sum(t.numel() for t in weight) * self.size,
                                        activation_bytes=acts, params=params))
        return out


def record_ops(spec, batch: int, height: int, *, width: int, size: int = 4, options: tuple = (),
               seq: int | None = None) -> tuple[list[LayerProfile], int]:
    """Every op of one forward pass of `spec`'s model at this batch and size (a token model: at `seq` tokens, or its
    default), and the peak activation bytes."""
    with torch.device("meta"):
        model = spec.create(**dict(options))
    params = {id(p) for p in model.parameters()}
    weights = {id(t): id(t) for t in [*model.parameters(), *model.buffers()]}
    where = [""]

    def enter(module, inputs, name=""):
        where.append(name)

    def leave(module, inputs, output):
        where.pop()  # returns None: a forward hook's return value would replace the module's output

    handles = []
    for module_name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(functools.partial(enter, name=module_name)))
        handles.append(module.register_forward_hook(leave))
    recorder = OpRecorder(weights, params, size, where)
    try:
        with torch.no_grad(), recorder:
            example = spec.meta_input(batch, height, width, seq)
            model(**example) if isinstance(example, dict) else model(example)
    finally:
        for handle in handles:
            handle.remove()
    return recorder.layers, recorder.peak
