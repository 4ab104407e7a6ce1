"""Predicting generation on hardware not measured: prefill on the roofline, decode on memory bandwidth.

Domain layer (predict).

- Prefill (the time to first token) is the model's forward pass over the prompt: compute-bound, predicted as any
  token model is (the calibrated corpus roofline where the catalog knows the chip, with its validated band).
- Decode reads every weight and the KV cache of every running sequence at each step, so it is bandwidth-bound;
  a batch amortizes the weights (read once a step for the whole batch) but not its caches. A step takes
  max(bytes / (bandwidth x memory efficiency), FLOPs / (peak x compute efficiency)) plus the per-layer launch
  overhead, with the documented default efficiencies of the device's kind (roofline.DEFAULTS). The published corpus
  holds no decode measurements, so this band is the stated default, not a validated one; say so.
- Memory: the weights plus the KV cache at prompt + output tokens for the batch must fit the device's memory, less
  the headroom every KV budget keeps (generation.kv.KV_HEADROOM).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from infercost.errors import UsageError
from infercost.generation.kv import kv_cache_tokens, kv_element_bytes, kv_elements_per_token, usable_memory
from infercost.layers import BYTES, COMPUTE_PRECISION
from infercost.models.llm import LLMShape
from infercost.predict.llm_calibration import Calibration, Factors, shipped
from infercost.predict.roofline import DEFAULT_ERROR, DEFAULTS, DeviceSpec


@dataclass(frozen=True)
class DecoderShape:
    """What decode reads and computes: parameters, layers, hidden size, KV-cache bytes per token per element."""

    params: int
    layers: int
    hidden: int
    kv_elements_per_token: int  # 2 x layers x kv heads x head dim (latent attention: its compressed latent)
    shape: object | None = None  # the LLMShape where the model is known by one (mixtures of experts read less)

    def read_params(self, batch: int) -> float:
        """Parameters a decode step of `batch` sequences reads (models/llm.py: an MoE reads the experts it routes
        to)."""
        return self.shape.weights_read_per_step(batch) if self.shape is not None else float(self.params)

    def compute_params(self) -> int:
        """Parameters each token is multiplied with."""
        return self.shape.active_params if self.shape is not None else self.params

    @classmethod
    def of(cls, model: str) -> DecoderShape:
        from infercost.models import resolve_model

        spec = resolve_model(model)
        if spec.causal is None:
            raise UsageError(f"{model} is not a causal language model: generation needs gpt2, llama-1.1b, a "
                             f"named language model (infercost models --kind llm) or hf:DIR of one")
        if spec.llm is not None:  # from its config's numbers: nothing built
            shape = spec.llm
            return cls(shape.params, shape.layers, shape.hidden, shape.kv_elements_per_token(), shape)
        import torch

        with torch.device("meta"):
            built = spec.causal()
        config = built.config
        params = sum(p.numel() for p in built.parameters())
        shape = LLMShape.from_config(config.to_dict(), model)  # its heads, for a split
        return cls(params, config.num_hidden_layers, config.hidden_size, kv_elements_per_token(config), shape)


def prefill_basis(device: DeviceSpec, precision: str) -> tuple[str, float]:
    """The precision a prefill is predicted at, and how many times faster the chip runs it at `precision`: a
    weight-only format at its activations' precision (1x); fp8 and fp4 at fp16, faster by the chip's peak ratio
    (not validated), and refused with the reason on a chip without that rate."""
    compute = COMPUTE_PRECISION.get(precision, precision)
    if compute not in ("fp8", "fp4"):
        return compute, 1.0
    rate, why = device.rate(compute)
    if rate is None:
        raise UsageError(why)
    return "fp16", rate / device.rate("fp16")[0]


# Latency of one all-reduce between the accelerators of a replica, beside its bytes over the link's bandwidth.
LINK_LATENCY_S = {"nvlink": 5e-6, "other": 15e-6}


@dataclass(frozen=True)
class Split:
    """A replica over `tp` accelerators by tensor parallelism: weights and compute divided, the KV cache divided by
    its heads (latent attention's shared latent is not), two all-reduces of the activations a layer."""

    tp: int = 1
    link_bytes_per_s: float | None = None  # one direction, per accelerator
    link: str | None = None

    @classmethod
    def over(cls, device: DeviceSpec, tp: int, shape: DecoderShape, *, padded_heads: bool = False) -> Split:
        """The split, or why not: `tp` must divide the heads (unless the runtime pads them, as Neuron does) and the
        chip needs an interconnect in the catalog."""
        if tp < 1:
            raise UsageError(f"--tp must be at least 1, got {tp}")
        if tp == 1:
            return cls()
        heads = shape.shape.heads if shape.shape is not None else None
        if heads and heads % tp and not padded_heads:
            raise UsageError(f"--tp {tp} does not divide the model's {heads} attention heads: use a divisor of {heads}")
        if not device.link_bytes_per_s:
            raise UsageError(f"{device.name} has no interconnect figures in the catalog: it can't be split with --tp")
        return cls(tp, device.link_bytes_per_s, device.link)

    def kv_split(self, shape: DecoderShape) -> int:
        """How many ways the KV cache divides: by key-value heads up to tp (more devices hold copies)."""
        if self.tp == 1 or (shape.shape is not None and shape.shape.kv_lora_rank):
            return 1
        kv_heads = shape.shape.kv_heads if shape.shape is not None else self.tp
        return min(self.tp, kv_heads)

    def all_reduce_s(self, layers: int, tokens: int, hidden: int, element: float = 2) -> float:
        """Two ring all-reduces a layer of `tokens` x `hidden` activations: 2 (tp - 1) / tp of them cross each link."""
        if self.tp == 1:
            return 0.0
        latency = LINK_LATENCY_S["nvlink" if "nvlink" in (self.link or "").lower() else "other"]
        per = 2 * (self.tp - 1) / self.tp * tokens * hidden * element / self.link_bytes_per_s + latency
        return 2 * layers * per


def decode_step(shape: DecoderShape, device: DeviceSpec, precision: str, *, batch: int, context: float,
                split: Split = Split(), kv_precision: str | None = None) -> dict:
    """One decode step for `batch` sequences at `context` tokens each, on one device of its split: seconds, and what
    bounds it."""
    element = BYTES[precision]
    kv_element = kv_element_bytes(precision, kv_precision)
    weights = shape.read_params(batch) * element / split.tp
    cache = shape.kv_elements_per_token * kv_element * context * batch / split.kv_split(shape)
    flops = (2 * shape.compute_params() * batch + 4 * shape.layers * context * shape.hidden * batch) / split.tp
    eff = DEFAULTS.get(device.kind, DEFAULTS["gpu"])
    peak, _ = device.rate(precision)
    memory_s = (weights + cache) / (device.bandwidth * eff.memory)
    compute_s = flops / (peak * eff.compute) if peak else float("inf")
    communicate_s = split.all_reduce_s(shape.layers, batch, shape.hidden)
    seconds = max(memory_s, compute_s) + eff.overhead_s * shape.layers * 4 + communicate_s
    return {"seconds": seconds, "bound": "memory bandwidth" if memory_s >= compute_s else "compute",
            "weights_read_bytes": weights, "weights_bytes": shape.params * element, "kv_read_bytes": cache,
            "all_reduce_s": communicate_s}


def calibrated(device: DeviceSpec, stack: str | None = None) -> tuple[Factors, Calibration | None]:
    """The shipped generation calibration's factors for this device's generation (and a stack, where named), and
    the calibration; none on a CPU or where nothing is shipped (the published rows are all accelerators)."""
    calibration = shipped()
    if calibration is None or device.kind == "cpu":
        return Factors(), None
    return calibration.fit.factors(stack, device.generation), calibration


CPU_DECODE_LOW = 0.4  # the low end of a CPU's TPOT band, as a fraction of the prediction (see predict_generation)


def predict_generation(prefill: dict, shape: DecoderShape, device: DeviceSpec, *, precision: str, batch: int,
                       prompt: int, output: int, split: Split = Split(), kv_precision: str | None = None,
                       factors: Factors | None = None) -> dict:
    """The `generation` block of a prediction: TTFT from the prefill prediction (divided over a split's devices,
    with its all-reduces), TPOT from the decode step at the mean context, end-to-end, output tokens per second,
    memory per device, each with its band and where the band comes from. The prefill and decode are multiplied by
    the calibration's factors (`factors`, or the shipped ones for the device's generation) and take its validated
    bands."""
    calibration = None
    if factors is None:
        factors, calibration = calibrated(device)
    step = decode_step(shape, device, precision, batch=batch, context=prompt + output / 2, split=split,
                       kv_precision=kv_precision)
    kv_element = kv_element_bytes(precision, kv_precision)
    kv_total = shape.kv_elements_per_token * kv_element * (prompt + output) * batch
    needed = step["weights_bytes"] + kv_total
    per_device = step["weights_bytes"] / split.tp + kv_total / split.kv_split(shape)
    prefill_comm = split.all_reduce_s(shape.layers, batch * prompt, shape.hidden)
    if device.kind == "cpu":  # the prefill as the forward pass predicted (a probe's calibration), decode's roofline
        tpot = step["seconds"] * factors.decode
        ttft = (prefill["latency_s"] / split.tp + prefill_comm) * factors.prefill
        ttft_low = (prefill["latency_low_s"] / split.tp + prefill_comm) * factors.prefill
        ttft_high = (prefill["latency_high_s"] / split.tp + prefill_comm) * factors.prefill
    else:  # the continuous-batching step cost the simulator and the calibration use
        cost = step_cost(shape, device, precision, split=split, kv_precision=kv_precision, factors=factors)
        ttft, tpot = cost.prefill_s([prompt] * batch), cost.decode_s(batch, prompt + output / 2)
        ttft_low, ttft_high = ttft / (1 + DEFAULT_ERROR), ttft * (1 + DEFAULT_ERROR)
        prefill = {**prefill, "error_band_source": "stated default (+-50%), not validated: no generation calibration"}
    e2e = ttft + (output - 1) * tpot
    band = DEFAULT_ERROR
    low, high = tpot / (1 + band), tpot * (1 + band)
    source = "stated default (+-50%), not validated: no published row of this kind of device"
    if device.kind == "cpu":
        low = tpot * CPU_DECODE_LOW
        source = ("stated default, widened below on a CPU (-60%/+50%): a few cores of a shared socket draw more "
                  "than their share of its memory bandwidth (gpt2 fp32 on 2 EPYC Genoa vCPUs decoded 2.1 times "
                  "faster than predicted); not validated")
    ttft_source = prefill.get("error_band_source")
    if calibration is not None:
        ttft_low, ttft_high = ttft * math.exp(-calibration.bands["ttft"]), ttft * math.exp(calibration.bands["ttft"])
        low, high = tpot * math.exp(-calibration.bands["tpot"]), tpot * math.exp(calibration.bands["tpot"])
        ttft_source = f"{calibration.band_source('ttft')}; factor {factors.prefill:.2f} {factors.source}"
        source = f"{calibration.band_source('tpot')}; factor {factors.decode:.2f} {factors.source}"
    if split.tp > 1:
        ttft_source = (f"{ttft_source}; the prefill divided over {split.tp} devices (ideal), plus two all-reduces a "
                       f"layer over {split.link}")
    found = {
        "prompt_tokens": prompt, "output_tokens": output, "batch_size": batch,
        "ttft_s": ttft, "ttft_low_s": ttft_low, "ttft_high_s": ttft_high, "ttft_band_source": ttft_source,
        "tpot_s": tpot, "tpot_low_s": low, "tpot_high_s": high, "tpot_band_source": source,
        "decode_bound": step["bound"], "e2e_s": e2e, "output_tokens_per_s": batch * output / e2e,
        "weights_bytes": step["weights_bytes"], "kv_cache_bytes": kv_total, "memory_needed_bytes": needed,
        "fits_in_memory": None if device.memory_bytes is None else per_device <= usable_memory(device.memory_bytes),
        "predicted": True,
    }
    if split.tp > 1 or kv_precision is not None:  # keys a split or a cache precision adds (the plain keys stay)
        found.update(tp=split.tp, memory_per_device_bytes=per_device, all_reduce_per_step_s=step["all_reduce_s"],
                     interconnect=split.link, kv_cache_precision=kv_precision)
    return found


DECODE_TABLE = 1024  # decode steps tabled one batch size at a time up to this batch (StepCost.decode_by_batch)


@functools.lru_cache(maxsize=64)
def _reads(shape: DecoderShape) -> np.ndarray:
    """Parameters a decode step reads at each batch from 1 to DECODE_TABLE (a dense model: all of them each time)."""
    if shape.read_params(1) == shape.read_params(10**6):
        return np.full(DECODE_TABLE, float(shape.read_params(1)))
    return np.array([shape.read_params(b) for b in range(1, DECODE_TABLE + 1)])


def step_cost(shape: DecoderShape, device: DeviceSpec, precision: str, *, split: Split = Split(),
              kv_precision: str | None = None, factors: Factors | None = None,
              prefill_s_per_token: float | None = None):
    """The continuous-batching step cost (serving/continuous.StepCost) on a device not measured, on one device of
    its split (each reads and computes its share; the all-reduces added, their latency to the fixed part and their
    bytes to each token), times the calibration's factors (`factors`, or the shipped ones for its generation).

    - A prefill of prompts p1..pn: the weights read once, plus 2 x active parameters FLOPs a token and the causal
      attention's 2 x layers x hidden x p^2 FLOPs a prompt at the chip's peak for the precision (fp8 and fp4 at their
      own rates, a weight-only format at its activations'); or `prefill_s_per_token` where a measured calibration
      gives one (a CPU).
    - A decode step of b sequences: the larger of the weights it reads (a mixture of experts: the experts b tokens
      route to) and the FLOPs of b tokens, tabled for every b up to DECODE_TABLE, plus each sequence's KV cache."""
    from infercost.serving.continuous import StepCost

    eff = DEFAULTS.get(device.kind, DEFAULTS["gpu"])
    kv_element = kv_element_bytes(precision, kv_precision)
    read_s = BYTES[precision] / (device.bandwidth * eff.memory) / split.tp  # a parameter's read, per device
    fixed_comm = split.all_reduce_s(shape.layers, 0, shape.hidden)
    token_comm = split.all_reduce_s(shape.layers, 1, shape.hidden) - fixed_comm
    overhead = eff.overhead_s * shape.layers * 4 + fixed_comm
    peak, _ = device.rate(precision)
    flop_s = 1 / (peak * eff.compute) / split.tp if peak else 0.0
    per_sequence_s = 2 * shape.compute_params() * flop_s + token_comm
    per_context_s = (shape.kv_elements_per_token * kv_element / (device.bandwidth * eff.memory)
                     / split.kv_split(shape))
    if prefill_s_per_token is None:
        attention_s = 2 * shape.layers * shape.hidden * flop_s  # a prompt's p^2 term
        prefill = (shape.read_params(10**6) * read_s + overhead, per_sequence_s, attention_s)
    else:
        prefill = (fixed_comm, prefill_s_per_token / split.tp + token_comm, 0.0)
    batches = np.arange(1, DECODE_TABLE + 1)
    table = tuple((np.maximum(_reads(shape) * read_s, batches * (per_sequence_s - token_comm)) + batches * token_comm
                   + overhead).tolist())
    # Beyond the table: every expert read, the step growing with its tokens' FLOPs.
    if shape.read_params(10**6) * read_s > DECODE_TABLE * per_sequence_s:
        decode = (shape.read_params(10**6) * read_s + overhead, token_comm, per_context_s)
    else:
        decode = (overhead, per_sequence_s, per_context_s)
    cost = StepCost(prefill, decode, f"predicted for {device.name}" +
                    (f" x{split.tp} (tensor parallel)" if split.tp > 1 else ""), table)
    factors = factors if factors is not None else calibrated(device)[0]
    return cost.scaled(factors.prefill, factors.decode, f"; prefill x{factors.prefill:.2f}, decode "
                                                        f"x{factors.decode:.2f} ({factors.source})")


def kv_tokens(shape: DecoderShape, device: DeviceSpec, precision: str, *, split: Split = Split(),
              kv_precision: str | None = None) -> int:
    """KV-cache tokens a replica holds beside the weights (generation.kv.kv_cache_tokens): on each of its devices,
    the weights' share and each token's share of the cache."""
    if device.memory_bytes is None:
        return 0
    per_token = shape.kv_elements_per_token * kv_element_bytes(precision, kv_precision) / split.kv_split(shape)
    return kv_cache_tokens(device.memory_bytes, shape.params * BYTES[precision] / split.tp, per_token)
