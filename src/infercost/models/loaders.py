"""Resolve a model name to a ModelSpec: the zoo, `torchvision:NAME`, a `.pt2` or `.onnx` file, `python:mod:fn`.

Runtime layer (models).
"""

from __future__ import annotations

import difflib
import importlib
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from torch import nn

from infercost.errors import UsageError
from infercost.models.zoo import CLASSIFICATION, IMAGE_TO_IMAGE, ZOO, ModelSpec
from infercost.textfiles import one_line

_REGISTERED: dict[str, ModelSpec] = {}


def register_model(module_or_factory: nn.Module | Callable[[], nn.Module], name: str, *,
                   task: str = CLASSIFICATION, resolution: int = 224, in_channels: int = 3) -> ModelSpec:
    """Make any torch.nn.Module measurable in this process by name (runs in-process or with the fork start)."""
    factory = module_or_factory if not isinstance(module_or_factory, nn.Module) else (lambda: module_or_factory)
    spec = ModelSpec(name, task, resolution, lambda **_: factory(), in_channels=in_channels, source="python")
    _REGISTERED[name] = spec
    return spec


def _torchvision(name: str) -> ModelSpec:
    from torchvision import models

    try:
        builder = models.get_model_builder(name)
    except ValueError:
        close = difflib.get_close_matches(name, models.list_models(), n=3)
        raise UsageError(f"unknown torchvision model {name!r}" + (f"; did you mean {', '.join(close)}?"
                                                                   if close else "")) from None
    task = IMAGE_TO_IMAGE if name in models.list_models(models.segmentation) else CLASSIFICATION
    resolution = 520 if task == IMAGE_TO_IMAGE else 224
    def build(**_: object) -> nn.Module:
        with warnings.catch_warnings():  # inception_v3's note about its future default initialisation: random
            warnings.simplefilter("ignore", FutureWarning)  # weights are right for timing either way
            return builder(weights=None)

    return ModelSpec(f"torchvision:{name}", task, resolution, build, source="torchvision",
                     description=f"torchvision {name}")


def _pt2(path: Path) -> ModelSpec:
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path}: not an ExportedProgram (torch.export.save writes a zip archive)")

    def build(**_: object) -> nn.Module:
        import torch

        return torch.export.load(str(path)).module()

    return ModelSpec(str(path), CLASSIFICATION, 224, build, source="pt2", path=str(path),
                     description=f"ExportedProgram {path.name}")


def _onnx(path: Path) -> ModelSpec:
    from infercost.models.onnx_file import read_inputs

    read_inputs(path)  # a file that is no ONNX model fails here, in one line, not in every child

    def build(**_: object) -> nn.Module:
        raise UsageError(f"{path.name} is an ONNX file: run it with --backend onnxruntime or openvino")

    return ModelSpec(str(path), CLASSIFICATION, 224, build, source="onnx", path=str(path),
                     description=f"ONNX file {path.name}")


def _python(target: str) -> ModelSpec:
    module_name, _, attr = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UsageError(f"cannot import python:{target} ({exc}); use python:package.module:factory") from None
    resolution = getattr(factory, "resolution", 224)
    task = getattr(factory, "task", CLASSIFICATION)
    return ModelSpec(f"python:{target}", task, resolution, lambda **_: factory(), source="python",
                     in_channels=getattr(factory, "in_channels", 3))


def _hf(target: str) -> ModelSpec:
    """A local Hugging Face model directory (config.json and weights, as save_pretrained writes them): loaded from
    the directory alone, never the network; its inputs from the config and the model's forward signature."""
    import inspect

    from infercost.models.zoo import TEXT, HiddenStates, transformers_module

    directory = Path(target)
    if not (directory / "config.json").is_file():
        raise UsageError(f"hf:{target} is not a Hugging Face model directory (no config.json in it)")
    transformers = transformers_module()
    try:
        config = transformers.AutoConfig.from_pretrained(str(directory), local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - a config transformers can't read: one line, with its reason
        raise UsageError(f"hf:{target}: config.json does not load ({one_line(exc, 160)})") from None
    vocab = getattr(config, "vocab_size", 0)
    if not vocab:
        raise UsageError(f"hf:{target} is a {config.model_type} model without a vocabulary; only token models "
                         f"load from a directory for now")

    def build(**_: object) -> nn.Module:
        import torch

        if torch.get_default_device().type == "meta":  # counting FLOPs: the architecture, not the weights
            return HiddenStates(transformers.AutoModel.from_config(config, attn_implementation="eager"))
        model = transformers.AutoModel.from_pretrained(str(directory), local_files_only=True,
                                                       attn_implementation="eager")
        return HiddenStates(model)

    def causal(**_: object) -> nn.Module:
        return transformers.AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True,
                                                                 attn_implementation="eager")

    accepted = inspect.signature(transformers.AutoModel.from_config(config).forward).parameters
    inputs = tuple(n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted)
    is_causal = any(a.endswith("CausalLM") or a.endswith("LMHeadModel") for a in config.architectures or ())
    return ModelSpec(f"hf:{target}", TEXT, 1, build, in_channels=0, source="hf", path=str(directory),
                     vocab_size=vocab, token_inputs=inputs, causal=causal if is_causal else None,
                     description=f"Hugging Face {config.model_type} from {directory.name}")


def resolve_model(name: str) -> ModelSpec:
    if name in ZOO:
        return ZOO[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name.startswith("hf:"):
        return _hf(name.split(":", 1)[1])
    if name.startswith("torchvision:"):
        return _torchvision(name.split(":", 1)[1])
    if name.startswith("python:"):
        return _python(name.split(":", 1)[1])
    path = Path(name)
    if path.suffix in (".pt2", ".onnx"):
        if not path.is_file():
            raise UsageError(f"model file {name} does not exist")
        return _pt2(path) if path.suffix == ".pt2" else _onnx(path)
    close = difflib.get_close_matches(name, list(ZOO) + list(_REGISTERED), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"unknown model {name!r}{hint} (zoo: {', '.join(ZOO)}; or torchvision:NAME, "
                     f"a .onnx/.pt2 file, python:module:factory)")
