"""The roofline predictor: each layer takes at least its FLOPs over the peak rate and its bytes over the bandwidth.

    layer time = max((flops + i0 x bytes) / (peak x compute_eff), memory time) + overhead
    memory time = bytes / (bandwidth x memory_eff)                                  (form "shared")
                | weight bytes / bandwidth + activation bytes / (bandwidth x memory_eff)   (form "weights-stream")

i0 makes compute efficiency saturate with arithmetic intensity I = flops / bytes (efficiency x I / (I + i0)):
thin layers (few channels, 1x1 convolutions) reach less of the peak than wide ones. The defaults set it to 0.
In the weights-stream form, weights are read once from memory at the full copy bandwidth while activations (often
in cache) have their own factor: a model with little weight traffic can't teach how fast a model with a lot of it
(VGG19's 0.5 GB of fully connected weights) streams them. Calibration picks the form by held-out error.

Efficiency factors depend on the kind of device and the stack; calibrate.py fits them to measurements. Without
calibration these documented defaults apply, and the prediction says so:

    gpu  compute 0.45, memory 0.60, 20 us per layer   (eager frameworks rarely pass half of peak at batch 1)
    cpu  compute 0.40, memory 0.50, 10 us per layer
    asic compute 0.30, memory 0.50, 50 us per layer
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from infercost.layers import ModelProfile
from infercost.pricing.catalog import Accelerator, Catalog, Instance

DEFAULT_ERROR = 0.5  # the band when nothing has been validated: +-50%, stated as such


@dataclass(frozen=True)
class Efficiency:
    compute: float
    memory: float
    overhead_s: float
    source: str = "default"
    intensity_half: float = 0.0  # i0, FLOP/byte
    form: str = "shared"  # or "weights-stream": see the module docstring


DEFAULTS = {"gpu": Efficiency(0.45, 0.60, 20e-6), "cpu": Efficiency(0.40, 0.50, 10e-6),
            "asic": Efficiency(0.30, 0.50, 50e-6)}


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    kind: str
    peak_flops: dict  # precision -> operations per second, whole device
    bandwidth: float  # bytes per second
    memory_bytes: float | None
    source: str
    link_bytes_per_s: float | None = None  # to the other accelerators of its instance, one direction
    link: str | None = None
    generation: str | None = None  # the chip's architecture (Hopper, CDNA 3, ...): generation's calibration key

    def rate(self, precision: str) -> tuple[float | None, str | None]:
        """The peak for a precision, or the fp32 peak with a note where the device has no faster path. A weight-only
        format computes at its activations' precision; fp8 and fp4 need the chip's own (nothing stands in)."""
        from infercost.layers import COMPUTE_PRECISION

        precision = COMPUTE_PRECISION.get(precision, precision)
        if precision in ("fp8", "fp4") and not self.peak_flops.get(precision):
            return None, (f"{self.name} has no {precision} rate (fp8 needs Hopper, Ada, Blackwell, MI300 or Gaudi; "
                          f"fp4 needs Blackwell or MI355X)")
        if self.peak_flops.get(precision):
            return self.peak_flops[precision], None
        if precision in ("fp16", "bf16", "int8") and self.peak_flops.get("fp32"):
            if precision == "bf16" and self.kind == "gpu":
                return None, f"{self.name} has no bf16 support"
            return self.peak_flops["fp32"], f"{self.name} has no native {precision} rate: the fp32 rate is used"
        return None, f"{self.name} has no {precision} rate in the catalog"

    @classmethod
    def from_accelerator(cls, acc: Accelerator, cores: int | None = None, memory_gib: float | None = None):
        scale = (cores or 1) if acc.kind == "cpu" else 1  # a CPU's catalog figures are per core
        peaks = {p: acc.peak_flops(p) * scale for p in ("fp32", "fp16", "bf16", "int8", "fp8", "fp4")
                 if acc.peak_flops(p)}
        bandwidth = (acc.memory_bandwidth_gb_s or 10) * 1e9 * scale
        memory = (memory_gib if acc.kind == "cpu" else acc.memory_gib) or memory_gib
        link = acc.interconnect_gb_s * 1e9 / 2 if acc.interconnect_gb_s else None  # duplex figures: one way
        return cls(acc.name, acc.kind, peaks, bandwidth, memory * 2**30 if memory else None,
                   f"catalog: {acc.source}", link, acc.interconnect, acc.generation)

    @classmethod
    def from_instance(cls, catalog: Catalog, instance: Instance) -> tuple[DeviceSpec, int] | None:
        """The device one replica runs on, and how many replicas the instance holds (one per accelerator)."""
        if instance.accelerator and instance.accelerator in catalog.accelerators:
            return cls.from_accelerator(catalog.accelerators[instance.accelerator]), max(1, instance.accelerator_count)
        cores = catalog.cpu_cores(instance)
        if cores:
            return cls.from_accelerator(catalog.accelerators[instance.cpu], cores, instance.memory_gib), 1
        return None

    @classmethod
    def from_probe(cls, probe: dict, name: str, ram_bytes: float | None) -> DeviceSpec:
        kind = "gpu" if probe["device"].startswith("cuda") else "cpu"
        return cls(name, kind, dict(probe["peak_flops_per_s"]), probe["copy_bandwidth_bytes_per_s"], ram_bytes,
                   "probe of this machine")


class Prediction(BaseModel):
    latency_s: float | None
    latency_low_s: float | None
    latency_high_s: float | None
    throughput_per_s: float | None
    bound: str | None
    fits_in_memory: bool | None
    memory_needed_bytes: int
    supported: bool
    note: str | None = None
    efficiency: str
    predicted: bool = True


def layer_arrays(profile: ModelProfile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per layer: FLOPs, bytes moved, and the weight bytes among them."""
    return (np.array([layer.flops for layer in profile.layers], dtype=float),
            np.array([layer.bytes for layer in profile.layers], dtype=float),
            np.array([layer.weight_bytes for layer in profile.layers], dtype=float))


def memory_time(nbytes: np.ndarray, weights: np.ndarray, bandwidth: float, *, eff: Efficiency) -> np.ndarray:
    if eff.form == "weights-stream":
        return weights / bandwidth + (nbytes - weights) / (bandwidth * eff.memory)
    return nbytes / (bandwidth * eff.memory)


def compute_time(flops: np.ndarray, nbytes: np.ndarray, weights: np.ndarray, *, peak: float,
                 eff: Efficiency) -> np.ndarray:
    """FLOPs over the peak, slowed where an op does little work per byte of activations it touches (i0)."""
    moved = nbytes - weights if eff.form == "weights-stream" else nbytes
    return (flops + eff.intensity_half * moved) / (peak * eff.compute)


def roofline_time(flops: np.ndarray, nbytes: np.ndarray, weights: np.ndarray, *, peak: float, bandwidth: float,
                  eff: Efficiency) -> tuple:
    compute = compute_time(flops, nbytes, weights, peak=peak, eff=eff)
    memory = memory_time(nbytes, weights, bandwidth, eff=eff)
    overhead = eff.overhead_s * len(flops)
    total = float(np.maximum(compute, memory).sum() + overhead)
    parts = {"compute": float(compute[compute >= memory].sum()), "memory": float(memory[memory > compute].sum()),
             "overhead": overhead}
    return total, max(parts, key=parts.get)


def memory_needed(profile: ModelProfile) -> int:
    """Weights, the two largest live activations, and a tenth for workspace."""
    return int((profile.weight_bytes + 2 * profile.peak_activation_bytes) * 1.1)


def predict(profile: ModelProfile, device: DeviceSpec, eff: Efficiency | None = None, *, replicas: int = 1,
            error: float = DEFAULT_ERROR) -> Prediction:
    eff = eff or DEFAULTS.get(device.kind, DEFAULTS["gpu"])
    needed = memory_needed(profile)
    fits = needed <= device.memory_bytes if device.memory_bytes else None
    peak, note = device.rate(profile.precision)
    if peak is None:
        return Prediction(latency_s=None, latency_low_s=None, latency_high_s=None, throughput_per_s=None,
                          bound=None, fits_in_memory=fits, memory_needed_bytes=needed, supported=False, note=note,
                          efficiency=eff.source)
    flops, nbytes, weights = layer_arrays(profile)
    latency, bound = roofline_time(flops, nbytes, weights, peak=peak, bandwidth=device.bandwidth, eff=eff)
    return Prediction(latency_s=latency, latency_low_s=latency / (1 + error), latency_high_s=latency * (1 + error),
                      throughput_per_s=replicas * profile.batch_size / latency, bound=bound, fits_in_memory=fits,
                      memory_needed_bytes=needed, supported=True, note=note, efficiency=eff.source)
