"""Measure generation: a causal model with a KV cache, prompt in, `output_len` tokens out, greedily, timed token by
token.

Runtime layer (generation). Stacks: `torch` (eager) and `torch-compile` (the forward compiled once for the prefill
shape and once for the decode shape), each with a static KV cache (allocated once at prompt + output tokens, the
default) or a dynamic one (`--option cache=dynamic`, grown each step). Precisions: fp32, bf16 (weights and
activations), fp16 on a GPU, and int8: PyTorch's dynamic quantization of every linear layer (weights int8,
activations quantized on the fly; GPT-2's Conv1D layers are made linear first), on the CPU. The prefill computes
the logits of the last position only (`logits_to_keep=1`), as serving engines do.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

from infercost.case import Case
from infercost.errors import UnsupportedError, UsageError
from infercost.generation.kv import kv_elements_per_token
from infercost.generation.metrics import generation_metrics
from infercost.models import ModelSpec

GENERATION_BACKENDS = ("torch", "torch-compile", "onnxruntime")  # onnxruntime: generation/onnxruntime_kv.py
CACHES = ("static", "dynamic")


def kv_cache_bytes(config, batch: int, tokens: int, *, element_bytes: int) -> int:
    """Keys and values of every layer for `tokens` positions of `batch` sequences."""
    return kv_elements_per_token(config) * batch * tokens * element_bytes


def _linear_conv1d(model):
    """GPT-2's Conv1D layers (a transposed linear) as nn.Linear, so dynamic quantization finds them."""
    import torch
    from torch import nn

    for name, module in list(model.named_modules()):
        if type(module).__name__ == "Conv1D":
            linear = nn.Linear(module.weight.shape[0], module.weight.shape[1])
            with torch.no_grad():
                linear.weight.copy_(module.weight.T)
                linear.bias.copy_(module.bias)
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], linear)
    return model


def forward_options(model) -> tuple[str, dict]:
    """The keyword the model takes its KV cache by (`cache` in newer transformers, else `past_key_values`), and
    `logits_to_keep=1` where it takes it: a prefill needs the last position's logits only, as serving engines do."""
    import inspect

    accepts = inspect.signature(model.forward).parameters
    return ("cache" if "cache" in accepts else "past_key_values",
            {"logits_to_keep": 1} if "logits_to_keep" in accepts else {})


def load_causal(spec: ModelSpec, case: Case):
    """The model with its language-model head, seeded random weights, at the case's precision and device."""
    import torch

    if spec.causal is None:
        raise UsageError(f"{case.model} is not a causal language model: --output-len needs one (gpt2, llama-1.1b, "
                         f"or hf:DIR of a causal model)")
    if case.backend not in GENERATION_BACKENDS[:2]:
        raise UnsupportedError(f"generation runs on {', '.join(GENERATION_BACKENDS)} here, not {case.backend}")
    torch.manual_seed(0)
    model = spec.causal(**case.model_options).eval()
    # Counted before quantization: a quantized linear layer's packed weights are no longer parameters.
    model.infercost_params = sum(p.numel() for p in model.parameters())
    device = torch.device(case.device)
    if case.precision == "int8":
        if device.type != "cpu":
            raise UnsupportedError("int8 generation (dynamic quantization) runs on the CPU only")
        # In place: a copy would hold the fp32 weights twice while quantizing (a 1.1B model's peak went from 4.7
        # to 10.6 GB).
        with warnings.catch_warnings():  # torch.ao's note that it moves to torchao: the API still works here
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.ao.quantization.quantize_dynamic(_linear_conv1d(model), {torch.nn.Linear},
                                                           dtype=torch.qint8, inplace=True)
    elif case.precision in ("bf16", "fp16"):
        if case.precision == "fp16" and device.type == "cpu":
            raise UnsupportedError("fp16 generation on the CPU is not supported by PyTorch eager; use bf16")
        model = model.to(torch.bfloat16 if case.precision == "bf16" else torch.float16)
    return model.to(device)


class Generator:
    """One prompt batch generated greedily with a KV cache, each token's arrival timed by `clock`."""

    def __init__(self, model, case: Case, prompt_len: int, output_len: int, vocab: int,
                 clock: Callable[[], float] = time.perf_counter, sync: Callable[[], None] = lambda: None) -> None:
        import torch

        self.torch, self.model, self.case, self.config = torch, model, case, model.config
        self.prompt_len, self.output_len = prompt_len, output_len
        self.clock, self.sync = clock, sync
        self.cache_kind = str(case.option("cache", "static"))
        if self.cache_kind not in CACHES:
            raise UsageError(f"cache must be one of {', '.join(CACHES)}, got {self.cache_kind!r}")
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, vocab, (case.batch_size, prompt_len), generator=generator).to(case.device)
        self.cache_arg, self.last_only = forward_options(model)
        self.forward = model.forward
        if case.backend == "torch-compile":
            self.forward = torch.compile(model.forward, dynamic=False)

    def _new_cache(self):
        from transformers import DynamicCache, StaticCache

        if self.cache_kind == "dynamic":
            return DynamicCache()
        return StaticCache(config=self.model.config, max_cache_len=self.prompt_len + self.output_len)

    def run(self) -> list[float]:
        """Token arrival times in seconds from the start, one per output token."""
        torch = self.torch
        with torch.inference_mode():
            cache = self._new_cache()
            self.sync()
            start = self.clock()
            out = self.forward(input_ids=self.ids, use_cache=True, **self.last_only, **{self.cache_arg: cache},
                               cache_position=torch.arange(self.prompt_len, device=self.ids.device))
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            self.sync()
            times = [self.clock() - start]
            tokens = [token]
            for step in range(self.output_len - 1):
                position = torch.tensor([self.prompt_len + step], device=self.ids.device)
                out = self.forward(input_ids=token, use_cache=True, **{self.cache_arg: cache},
                                   cache_position=position)
                token = out.logits[:, -1].argmax(-1, keepdim=True)
                self.sync()
                times.append(self.clock() - start)
                tokens.append(token)
        self.last_tokens = torch.cat(tokens, dim=1)
        return times


def measure(generator: Generator, min_time_s: float, max_time_s: float, *, min_runs: int = 3,
            max_runs: int = 200) -> tuple[list[list[float]], float]:
    """One untimed run (the cold start, returned), then runs until `min_time_s` and `min_runs` are both reached, or
    `max_time_s` or `max_runs` is."""
    cold = generator.run()[-1]
    runs, spent = [], 0.0
    while len(runs) < max_runs and (len(runs) < min_runs or spent < min_time_s) and spent < max_time_s:
        times = generator.run()
        runs.append(times)
        spent += times[-1]
    return runs, cold


def generation_record_fields(generator, runs: list[list[float]], element_bytes: int) -> dict:
    """The record's `generation` and its samples: end-to-end seconds per run."""
    case = generator.case
    found = generation_metrics(runs, case.batch_size)
    found.update(prompt_tokens=generator.prompt_len, cache=generator.cache_kind,
                 kv_cache_bytes=kv_cache_bytes(generator.config, case.batch_size,
                                               generator.prompt_len + generator.output_len,
                                               element_bytes=element_bytes))
    return found
