"""Generation on ONNX Runtime with a KV cache: the causal model exported once with its past keys and values as an
input and the present ones as an output, then driven token by token.

Runtime layer (generation). The exported graph takes `input_ids`, `attention_mask`, `position_ids` and `past` (every
layer's keys and values in one tensor, [layers, 2, batch, kv heads, past tokens, head dim]) and returns the last
position's logits and `present` (the same with the new tokens appended). Batch, sequence and past lengths are
dynamic axes. The prefill passes one masked-out past position (an empty past can't be a dynamic axis), so one graph
serves the prefill and every decode step. Precisions: fp32, and int8 as ONNX Runtime's dynamic quantization of the
exported file (weights int8, activations quantized at run time). Files are cached beside the other ONNX exports.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from infercost.case import Case
from infercost.errors import BackendError, UnsupportedError
from infercost.models import ModelSpec

PRECISIONS = ("fp32", "int8")


def _module(model, layers: int):
    """The model as a function of flat tensors, for the exporter."""
    import torch

    from infercost.generation.engine import cache_of, cache_tensors, returned_cache
    from infercost.generation.measure import forward_options

    cache_arg, extra = forward_options(model)

    class WithPast(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, position_ids, past):
            cache = cache_of([past[i, 0] for i in range(layers)], [past[i, 1] for i in range(layers)])
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             use_cache=True, **extra, **{cache_arg: cache})
            keys, values = cache_tensors(returned_cache(out))
            present = torch.stack([torch.stack([k, v]) for k, v in zip(keys, values, strict=True)])
            return out.logits[:, -1], present

    return WithPast()


def _shape(config) -> tuple[int, int, int]:
    """Layers, key-value heads and head dimension from a Hugging Face config."""
    layers = getattr(config, "num_hidden_layers", None) or config.n_layer
    heads = getattr(config, "num_attention_heads", None) or config.n_head
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    hidden = getattr(config, "hidden_size", None) or config.n_embd
    return layers, kv_heads, getattr(config, "head_dim", None) or hidden // heads


def export_with_past(spec: ModelSpec, case: Case) -> tuple[Path, object, int]:
    """The cached ONNX file with past and present, the model's config and its parameter count."""
    import torch

    from infercost.backends.onnx_export import _atomic_target, _files, _key
    from infercost.generation.measure import load_causal
    from infercost.paths import cache_dir

    # The fp32 model PyTorch generates with, built the same way (seeded, counted); int8 quantizes the exported file.
    model = load_causal(spec, case.with_(backend="torch", precision="fp32", device="cpu"))
    config, params = model.config, model.infercost_params
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]  # a new wrapper here, a new export
    key = _key(spec, case.model_options, "fp32", f"{_files(spec)}|kv-{code}")
    stem = f"{spec.name.replace(':', '_').replace('/', '_')}-kv-{key}"
    path = cache_dir("onnx") / f"{stem}.onnx"
    if not path.exists():
        layers, kv_heads, dim = _shape(config)
        example = (torch.zeros((1, 3), dtype=torch.long), torch.ones((1, 5), dtype=torch.long),
                   torch.tensor([[2, 3, 4]]), torch.zeros((layers, 2, 1, kv_heads, 2, dim)))
        names = ["input_ids", "attention_mask", "position_ids", "past"]
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
                "position_ids": {0: "batch", 1: "seq"}, "past": {2: "batch", 4: "past_seq"},
                "logits": {0: "batch"}, "present": {2: "batch", 4: "total"}}
        tmp = _atomic_target(path)
        try:
            with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(_module(model, layers), example, str(tmp), dynamo=False, opset_version=17,
                                  input_names=names, output_names=["logits", "present"], dynamic_axes=axes)
        except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
            tmp.unlink(missing_ok=True)
            raise BackendError(f"ONNX export of {spec.name} with a KV cache failed: "
                               f"{str(exc).splitlines()[0][:300]}") from exc
        os.replace(tmp, path)
    return path, config, params


def load_onnx_causal(spec: ModelSpec, case: Case) -> tuple[object, object, int, dict]:
    """An ONNX Runtime session of the exported model at the case's precision; its config, parameters and stack."""
    if case.device != "cpu":
        raise UnsupportedError("generation on ONNX Runtime runs on the CPU here (the GPU package is not installed)")
    if case.precision not in PRECISIONS:
        raise UnsupportedError(f"generation on ONNX Runtime runs at {', '.join(PRECISIONS)}, not {case.precision}")
    import onnxruntime as ort

    path, config, params = export_with_past(spec, case)
    how = None
    if case.precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        from infercost.backends.onnx_export import _atomic_target

        quantized = path.with_name(f"{path.stem}-int8.onnx")
        if not quantized.exists():
            tmp = _atomic_target(quantized)
            quantize_dynamic(str(path), str(tmp), weight_type=QuantType.QInt8)
            os.replace(tmp, quantized)
        path, how = quantized, "dynamic int8 (weights int8, activations at run time)"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    stack = {"framework": "onnxruntime", "onnxruntime": ort.__version__, "cache": "past and present tensors",
             "compiled": False, "quantization": how}
    return session, config, params, stack


class OnnxGenerator:
    """One prompt batch generated greedily on an ONNX Runtime session, each token's arrival timed by `clock`: the
    same `run` as generation.measure.Generator."""

    cache_kind = "past/present"

    def __init__(self, session, config, case: Case, prompt_len: int, output_len: int, vocab: int,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.session, self.config, self.case = session, config, case
        self.prompt_len, self.output_len, self.clock = prompt_len, output_len, clock
        layers, kv_heads, dim = _shape(config)
        rng = np.random.default_rng(0)
        batch = case.batch_size
        self.ids = rng.integers(0, vocab, (batch, prompt_len), dtype=np.int64)
        self.empty = np.zeros((layers, 2, batch, kv_heads, 1, dim), dtype=np.float32)

    def run(self) -> list[float]:
        batch, prompt = self.ids.shape
        mask = np.concatenate([np.zeros((batch, 1), np.int64), np.ones((batch, prompt), np.int64)], axis=1)
        positions = np.broadcast_to(np.arange(prompt, dtype=np.int64), (batch, prompt))
        start = self.clock()
        logits, past = self.session.run(None, {"input_ids": self.ids, "attention_mask": mask,
                                               "position_ids": positions, "past": self.empty})
        token = logits.argmax(-1)[:, None].astype(np.int64)
        times, tokens = [self.clock() - start], [token]
        for step in range(self.output_len - 1):
            mask = np.concatenate([mask, np.ones((batch, 1), np.int64)], axis=1)
            position = np.full((batch, 1), prompt + step, dtype=np.int64)
            logits, past = self.session.run(None, {"input_ids": token, "attention_mask": mask,
                                                   "position_ids": position, "past": past})
            token = logits.argmax(-1)[:, None].astype(np.int64)
            times.append(self.clock() - start)
            tokens.append(token)
        self.last_tokens = np.concatenate(tokens, axis=1)
        return times
