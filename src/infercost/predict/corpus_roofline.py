"""The calibrated predictor: a roofline whose efficiencies follow what matters, fitted to published measurements.

For one batch of b images at precision p on a device of generation g with stack s:

    time = sum over compute layers of max(flops x b / R, bytes(b) / M)  +  memory-only bytes(b) / M  +  ops x o
    R = peak_fp32 x e_c x b / (b + b_half) / (share / fast + (1 - share))     (fast = peak_p / peak_fp32 >= 1)
    M = bandwidth x e_m

    log e_c = c[kind] + c_gen[g] + c_stack[s]      log e_m = m[kind] + m_gen[g]
    log o   = o[kind, family] + o_stack[s]         share = sigmoid(t[family])      log b_half = h[kind]

Families are eager (torch, tensorflow, mxnet, caffe) and compiled (tensorrt, onnxruntime, openvino, and Triton,
which serves them): eager stacks reach less of the peak, pay more per op, and send only part of the work through
tensor cores. (Triton in a family of its own, since it is measured from its client, made held-out accelerators
worse: p90 67% against 57%.) Reduced precision
speeds up only the compute-bound share, and only by the share on the fast path. Per-generation and per-stack terms
are shrunk toward zero (ridge), so a generation or stack with few rows borrows from the rest; a generation the
corpus has never seen takes the mean of its nearest seen neighbours, and says so. Errors are fitted in log space,
each source's rows sharing one weight so a source with hundreds of rows does not outvote the others.

Domain layer (predict).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from infercost.layers import BYTES
from infercost.predict.corpus import Point

GPU_GENERATIONS = ("Kepler", "Maxwell", "Pascal", "Volta", "Turing", "Ampere", "Ada", "Hopper")
CPU_GENERATIONS = ("Broadwell", "Skylake", "Cascade Lake", "Ice Lake", "Sapphire Rapids", "Emerald Rapids")
EAGER = ("torch", "tensorflow", "mxnet", "caffe")
COMPILED = ("tensorrt", "onnxruntime", "openvino", "triton")
FAMILIES = ("eager", "compiled")
TENSOR_CORES = {"Volta": {"fp16"}, "Turing": {"fp16", "int8"}, "Ampere": {"fp16", "bf16", "int8", "tf32"},
                "Ada": {"fp16", "bf16", "int8", "tf32"}, "Hopper": {"fp16", "bf16", "int8", "tf32"}}
# The pull of per-generation and per-stack terms toward the shared value, chosen by held-out error (0.1, 0.3, 1 and 3
# tried: leave-one-accelerator-out p90 72%, 64%, 58% and 58%, median 21%, 20%, 20% and 21%, before the compiled
# stacks' priors moved to nearly all work on tensor cores, which gave 57% and 20%).
RIDGE = 1.0


def family(stack: str) -> str:
    return "compiled" if stack in COMPILED else "eager"


@dataclass(frozen=True)
class Chip:
    """What the predictor needs of a device: its generation, peaks and bandwidth (a CPU's already times its cores)."""

    name: str
    kind: str  # gpu or cpu
    generation: str
    peak: dict[str, float]  # precision -> operations per second
    bandwidth: float  # bytes per second

    def fast(self, precision: str) -> float:
        """How much faster than fp32 this precision's path is (1 where there is none)."""
        fp32 = self.peak["fp32"]
        if precision == "tf32":
            return (self.peak.get("fp16", fp32) / 2) / fp32 if "tf32" in TENSOR_CORES.get(self.generation, ()) else 1.0
        return max(1.0, self.peak.get(precision, fp32) / fp32)


def chips_from(catalog) -> dict[str, Chip]:
    """Every catalog GPU and CPU with a generation and an fp32 rate (a CPU per core)."""
    chips = {}
    for acc in catalog.accelerators.values():
        if acc.kind in ("gpu", "cpu") and acc.generation and acc.peak_flops("fp32"):
            peaks = {p: acc.peak_flops(p) for p in ("fp32", "fp16", "bf16", "int8") if acc.peak_flops(p)}
            chips[acc.name] = Chip(acc.name, acc.kind, acc.generation, peaks, (acc.memory_bandwidth_gb_s or 10) * 1e9)
    return chips


@dataclass(frozen=True)
class Shape:
    """A model at one input size, as the predictor sees it: per compute layer FLOPs, weight and activation bytes
    per image (at 4 bytes an element), and what the other ops move; from models.ops."""

    flops: np.ndarray
    weights: np.ndarray
    activations: np.ndarray
    other_weights: float
    other_activations: float
    ops: int

    @classmethod
    def of(cls, model: str, height: int | None, width: int | None, seq: int | None = None) -> Shape:
        """The shape at an image's height and width, or a token model's `seq` tokens."""
        from infercost.predict.profile import profile_model

        layers = profile_model(model, 1, height, width=width, precision="fp32", seq=seq).layers
        compute = [layer for layer in layers if layer.flops]
        rest = [layer for layer in layers if not layer.flops]
        return cls(np.array([layer.flops for layer in compute], dtype=float),
                   np.array([layer.weight_bytes for layer in compute], dtype=float),
                   np.array([layer.activation_bytes for layer in compute], dtype=float),
                   float(sum(layer.weight_bytes for layer in rest)),
                   float(sum(layer.activation_bytes for layer in rest)), len(layers))


@dataclass
class Params:
    """The fitted parameters, by name; missing names are zero (a generation or stack the fit never saw)."""

    values: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # rows behind each generation and stack

    def get(self, name: str) -> float:
        return self.values.get(name, 0.0)


def _names(points: list[Point], chips: dict[str, Chip]) -> list[str]:
    names = ["c:gpu", "c:cpu", "m:gpu", "m:cpu", "ct:gpu", "mt:gpu", "h:gpu", "h:cpu"]
    names += [f"t:{fam}" for fam in FAMILIES] + [f"o:{kind}:{fam}" for kind in ("gpu", "cpu") for fam in FAMILIES]
    gens = sorted({chips[p.chip].generation for p in points})
    stacks = sorted({p.stack for p in points})
    names += [f"cg:{g}" for g in gens] + [f"mg:{g}" for g in gens]
    names += [f"cs:{s}" for s in stacks] + [f"os:{s}" for s in stacks]
    return names


PRIOR_WEIGHT = 0.02  # a weak pull of the shared terms toward the documented defaults: a term no row informs stays there


def _start(name: str) -> float:
    """The prior: roofline.DEFAULTS for the kind of device (the documented uncalibrated factors), saturation at two
    images; eager stacks put half their work on the fast path, graph compilers nearly all of it (they pick
    tensor-core kernels wherever one exists) and pay a quarter of the per-op cost (they fuse); every difference and
    trend term at 0."""
    from infercost.predict.roofline import DEFAULTS

    head, _, rest = name.partition(":")
    kind, _, fam = rest.partition(":")
    if head in ("c", "m", "o") and kind in DEFAULTS:
        default = DEFAULTS[kind]
        value = {"c": default.compute, "m": default.memory, "o": default.overhead_s}[head]
        return math.log(value / 4 if head == "o" and fam == "compiled" else value)
    if head == "t":
        return 0.0 if rest == "eager" else 3.0
    return {"h": math.log(2.0)}.get(head, 0.0)


class Design:
    """Points laid out as arrays (one row per point, compute layers padded) so one evaluation is a few numpy ops."""

    def __init__(self, points: list[Point], chips: dict[str, Chip], shapes: dict[tuple, Shape]) -> None:
        self.points = points
        n = len(points)
        width = max(len(shapes[_key(p)].flops) for p in points)
        self.flops = np.zeros((n, width))
        self.bytes_fixed = np.zeros((n, width))
        self.bytes_batch = np.zeros((n, width))
        self.other = np.zeros(n)
        self.ops = np.zeros(n)
        self.batch = np.array([p.batch for p in points], dtype=float)
        self.measured = np.array([p.seconds for p in points])
        self.peak = np.zeros(n)
        self.fast = np.zeros(n)
        self.bandwidth = np.zeros(n)
        self.kind, self.gen, self.stack, self.family = [], [], [], []
        for i, p in enumerate(points):
            shape, chip = shapes[_key(p)], chips[p.chip]
            size = BYTES[p.precision] / 4
            k = len(shape.flops)
            self.flops[i, :k] = shape.flops * p.batch
            self.bytes_fixed[i, :k] = shape.weights * size
            self.bytes_batch[i, :k] = shape.activations * size * p.batch
            self.other[i] = (shape.other_weights + shape.other_activations * p.batch) * size
            self.ops[i] = shape.ops
            scale = p.cores or 1
            self.peak[i] = chip.peak["fp32"] * scale
            self.fast[i] = chip.fast(p.precision)
            self.bandwidth[i] = chip.bandwidth * scale
            self.kind.append(chip.kind)
            self.gen.append(chip.generation)
            self.stack.append(p.stack)
            self.family.append(family(p.stack))
        counts = Counter(p.source for p in points)
        self.weight = np.array([1 / math.sqrt(counts[p.source]) for p in points])
        self.weight *= n / self.weight.sum()

    def predict(self, params: Params) -> np.ndarray:
        get = params.get
        log_ec = np.array([get(f"c:{k}") + get(f"ct:{k}") * _index(g) + get(f"cg:{g}") + get(f"cs:{s}")
                           for k, g, s in zip(self.kind, self.gen, self.stack, strict=True)])
        log_em = np.array([get(f"m:{k}") + get(f"mt:{k}") * _index(g) + get(f"mg:{g}")
                           for k, g in zip(self.kind, self.gen, strict=True)])
        log_o = np.array([get(f"o:{k}:{f}") + get(f"os:{s}")
                          for k, f, s in zip(self.kind, self.family, self.stack, strict=True)])
        share = np.array([1 / (1 + math.exp(-get(f"t:{f}"))) for f in self.family])
        half = np.exp(np.array([get(f"h:{k}") for k in self.kind])) * self.peak / 1e13  # bigger chips fill later
        rate = self.peak * np.exp(log_ec) * self.batch / (self.batch + half) / (share / self.fast + 1 - share)
        memory = self.bandwidth * np.exp(log_em)
        layers = np.maximum(self.flops / rate[:, None], (self.bytes_fixed + self.bytes_batch) / memory[:, None])
        return layers.sum(axis=1) + self.other / memory + self.ops * np.exp(log_o)


def _index(generation: str) -> float:
    """Where a generation stands in its line (0 for the oldest), for the trend that unseen generations follow."""
    for order in (GPU_GENERATIONS, CPU_GENERATIONS):
        if generation in order:
            return float(order.index(generation) - len(order) / 2)
    return 0.0


def _key(point: Point) -> tuple:
    return point.model, point.height, point.width, point.seq


def shapes_for(points: list[Point]) -> dict[tuple, Shape]:
    return {key: Shape.of(*key) for key in {_key(p) for p in points}}


def fit(points: list[Point], chips: dict[str, Chip], shapes: dict[tuple, Shape] | None = None) -> Params:
    """Least squares on log time, per-source weights, ridge on the per-generation and per-stack terms."""
    from scipy.optimize import least_squares

    shapes = shapes or shapes_for(points)
    design = Design(points, chips, shapes)
    names = _names(points, chips)
    ridge = np.array([1.0 if name.startswith(("cg:", "mg:", "cs:", "os:")) else PRIOR_WEIGHT for name in names])
    target = np.log(design.measured)
    root_weight = np.sqrt(design.weight)

    x0 = np.array([_start(name) for name in names])
    pull = np.sqrt(RIDGE * len(points) / 100 * ridge)

    def residuals(x: np.ndarray) -> np.ndarray:
        params = Params(dict(zip(names, x, strict=True)))
        err = (np.log(design.predict(params)) - target) * root_weight
        return np.concatenate([err, pull * (x - x0)])

    found = least_squares(residuals, x0, method="trf", x_scale=1.0, max_nfev=400)
    seen = Counter(chips[p.chip].generation for p in points) + Counter(p.stack for p in points)
    return Params(dict(zip(names, (float(v) for v in found.x), strict=True)), dict(seen))


def borrow_unseen(params: Params, generation: str, kind: str) -> tuple[Params, str | None]:
    """A generation the fit never saw takes the mean of its nearest seen neighbours' terms; the note says so."""
    if generation in params.seen:
        return params, None
    order = GPU_GENERATIONS if kind == "gpu" else CPU_GENERATIONS
    if generation not in order:
        return params, f"generation {generation} is unlike any in the corpus: the shared terms alone serve it"
    i = order.index(generation)
    below = [g for g in order[:i] if g in params.seen][-1:]
    above = [g for g in order[i + 1:] if g in params.seen][:1]
    neighbours = below + above
    if not neighbours:
        return params, f"no {kind} generation is in the corpus: the shared terms alone serve {generation}"
    values = dict(params.values)
    for prefix in ("cg", "mg"):
        values[f"{prefix}:{generation}"] = float(np.mean([params.get(f"{prefix}:{g}") for g in neighbours]))
    note = f"generation {generation} is not in the corpus: it follows the trend, beside {' and '.join(neighbours)}"
    return Params(values, params.seen), note
