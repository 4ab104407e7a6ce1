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

from dataclasses import dataclass

from infercost.errors import UsageError
from infercost.generation.kv import kv_cache_tokens, kv_element_bytes, kv_elements_per_token, usable_memory
from infercost.layers import BYTES
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
        return cls(params, config.num_hidden_layers, config.hidden_size, kv_elements_per_token(config))


def decode_step(shape: DecoderShape, device: DeviceSpec, precision: str, *, batch: int, context: float) -> dict:
    """One decode step for `batch` sequences at `context` tokens each: seconds, and what bounds it."""
    element = BYTES[precision]
    kv_element = kv_element_bytes(precision)
    weights = shape.read_params(batch) * element
    cache = shape.kv_elements_per_token * kv_element * context * batch
    flops = 2 * shape.compute_params() * batch + 4 * shape.layers * context * shape.hidden * batch
    eff = DEFAULTS.get(device.kind, DEFAULTS["gpu"])
    peak, _ = device.rate(precision)
    memory_s = (weights + cache) / (device.bandwidth * eff.memory)
    compute_s = flops / (peak * eff.compute) if peak else float("inf")
    seconds = max(memory_s, compute_s) + eff.overhead_s * shape.layers * 4
    return {"seconds": seconds, "bound": "memory bandwidth" if memory_s >= compute_s else "compute",
            "weights_read_bytes": weights, "weights_bytes": shape.params * element, "kv_read_bytes": cache}


CPU_DECODE_LOW = 0.4  # the low end of a CPU's TPOT band, as a fraction of the prediction (see predict_generation)


def predict_generation(prefill: dict, shape: DecoderShape, device: DeviceSpec, *, precision: str, batch: int,
                       prompt: int, output: int) -> dict:
    """The `generation` block of a prediction: TTFT from the prefill prediction, TPOT from the decode step at the
    mean context, end-to-end, output tokens per second, memory, each with its band and where the band comes from."""
    step = decode_step(shape, device, precision, batch=batch, context=prompt + output / 2)
    kv_element = kv_element_bytes(precision)
    kv_total = shape.kv_elements_per_token * kv_element * (prompt + output) * batch
    needed = step["weights_bytes"] + kv_total
    tpot = step["seconds"]
    ttft = prefill["latency_s"]
    e2e = ttft + (output - 1) * tpot
    band = DEFAULT_ERROR
    low, source = tpot / (1 + band), "stated default (+-50%), not validated: the published corpus has no decode rows"
    if device.kind == "cpu":
        low = tpot * CPU_DECODE_LOW
        source = ("stated default, widened below on a CPU (-60%/+50%): a few cores of a shared socket draw more "
                  "than their share of its memory bandwidth (gpt2 fp32 on 2 EPYC Genoa vCPUs decoded 2.1 times "
                  "faster than predicted); not validated")
    return {
        "prompt_tokens": prompt, "output_tokens": output, "batch_size": batch,
        "ttft_s": ttft, "ttft_low_s": prefill["latency_low_s"], "ttft_high_s": prefill["latency_high_s"],
        "ttft_band_source": prefill.get("error_band_source"),
        "tpot_s": tpot, "tpot_low_s": low, "tpot_high_s": tpot * (1 + band), "tpot_band_source": source,
        "decode_bound": step["bound"], "e2e_s": e2e, "output_tokens_per_s": batch * output / e2e,
        "weights_bytes": step["weights_bytes"], "kv_cache_bytes": kv_total, "memory_needed_bytes": needed,
        "fits_in_memory": None if device.memory_bytes is None else needed <= usable_memory(device.memory_bytes),
        "predicted": True,
    }


def step_cost(shape: DecoderShape, device: DeviceSpec, precision: str, *, prefill_s_per_token: float):
    """The continuous-batching step cost on a device not measured: the prefill at the predicted seconds per prompt
    token, a decode step at the weights' read time plus each sequence's cache read (serving/continuous.StepCost)."""
    from infercost.serving.continuous import StepCost

    eff = DEFAULTS.get(device.kind, DEFAULTS["gpu"])
    kv_element = kv_element_bytes(precision)
    read_s = BYTES[precision] / (device.bandwidth * eff.memory)  # a parameter's read
    weights_s = shape.read_params(1) * read_s + eff.overhead_s * shape.layers * 4
    per_context_s = shape.kv_elements_per_token * kv_element / (device.bandwidth * eff.memory)
    peak, _ = device.rate(precision)
    per_sequence_s = 2 * shape.compute_params() / (peak * eff.compute) if peak else 0.0  # compute a sequence adds
    # A mixture of experts reads more experts as its batch grows: the mean extra read per sequence up to batch 8.
    per_sequence_s += (shape.read_params(8) - shape.read_params(1)) / 7 * read_s
    return StepCost((0.0, prefill_s_per_token, 0.0), (weights_s, per_sequence_s, per_context_s),
                    f"predicted for {device.name}")


def kv_tokens(shape: DecoderShape, device: DeviceSpec, precision: str) -> int:
    """KV-cache tokens a device holds beside the weights (generation.kv.kv_cache_tokens)."""
    if device.memory_bytes is None:
        return 0
    per_token = shape.kv_elements_per_token * kv_element_bytes(precision)
    return kv_cache_tokens(device.memory_bytes, shape.params * BYTES[precision], per_token)
