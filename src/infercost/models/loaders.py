"""Resolve a model name to a ModelSpec: the zoo, `torchvision:NAME`, a `.pt2` or `.onnx` file, `python:mod:fn`.

Runtime layer (models).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from infercost.errors import UsageError
from infercost.inputs import Input
from infercost.models.llm import LLMShape, fits_here, gib, read_config, row_config, shipped
from infercost.models.zoo import (
    CLASSIFICATION,
    IMAGE_TO_IMAGE,
    TEXT,
    ZOO,
    ModelSpec,
    transformers_module,
)
from infercost.textfiles import one_line

if TYPE_CHECKING:  # torch is imported where a model is built or registered, not to read a shape
    from torch import nn

_REGISTERED: dict[str, ModelSpec] = {}


TOKEN_NAMES = ("input_ids", "attention_mask", "token_type_ids")
PT2_META = "infercost.json"  # what an exported token module takes, saved beside its program in the .pt2


def register_model(module_or_factory: nn.Module | Callable[[], nn.Module], name: str, *,
                   task: str = CLASSIFICATION, resolution: int = 224, in_channels: int = 3,
                   inputs: Sequence[Input | str] | None = None) -> ModelSpec:
    """Make any torch.nn.Module measurable by name. It takes one NCHW image batch unless `inputs` says it takes
    token ids (input_ids, and attention_mask or token_type_ids where it takes them: names, or Inputs of
    int64[batch, seq]); a transformers model (a config with a vocab_size, a forward taking input_ids) is known as
    one without being told. Token ids are drawn inside the vocabulary: the config's, or the first embedding's."""
    from torch import nn

    from infercost.models.wrappers import TokenOutput

    factory = module_or_factory if not isinstance(module_or_factory, nn.Module) else (lambda: module_or_factory)
    tokens = token_signature(module_or_factory if isinstance(module_or_factory, nn.Module) else factory(), inputs)
    if tokens is None:
        spec = ModelSpec(name, task, resolution, lambda **_: factory(), in_channels=in_channels, source="python")
    else:
        vocab, names = tokens
        spec = ModelSpec(name, TEXT, 1, lambda **_: TokenOutput(factory(), names), in_channels=0, source="python",
                         vocab_size=vocab, token_inputs=names, description=f"token module {name}")
    _REGISTERED[name] = spec
    return spec


def token_signature(module: nn.Module, inputs: Sequence[Input | str] | None) -> tuple[int, tuple[str, ...]] | None:
    """(vocabulary size, input names) for a module fed token ids; None for one fed an image batch."""
    config = getattr(module, "config", None)
    if inputs is None:
        accepted = inspect.signature(module.forward).parameters
        if not getattr(config, "vocab_size", 0) or "input_ids" not in accepted:
            return None
        return int(config.vocab_size), tuple(n for n in TOKEN_NAMES if n in accepted)
    specs = [i if isinstance(i, Input) else Input(str(i), "int64", ("batch", "seq")) for i in inputs]
    if len(specs) == 1 and specs[0].image:
        return None
    names = tuple(i.name for i in specs)
    unusable = [i for i in specs if i.name not in TOKEN_NAMES or not i.dtype.startswith("int") or len(i.shape) != 2]
    if unusable or "input_ids" not in names:
        raise UsageError(f"a module's inputs are one image batch, or token ids ({', '.join(TOKEN_NAMES)}: "
                         f"int64[batch, seq]); {', '.join(f'{i.name} {i.dtype}{list(i.shape)}' for i in specs)} "
                         f"is not one of those. Export it to ONNX and bench the file, binding its dimensions with "
                         f"--dim NAME=VALUE")
    from torch import nn

    vocab = getattr(config, "vocab_size", 0) or next(
        (m.num_embeddings for m in module.modules() if isinstance(m, nn.Embedding)), 0)
    if not vocab:
        raise UsageError("token ids must be drawn inside the vocabulary, and this module has neither a "
                         "config.vocab_size nor an nn.Embedding to tell it by")
    return int(vocab), tuple(n for n in TOKEN_NAMES if n in names)


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

    meta = _pt2_meta(path)
    if meta.get("token_inputs"):  # a token module exported by infercost: ids inside its vocabulary
        return ModelSpec(str(path), TEXT, 1, build, in_channels=0, source="pt2", path=str(path),
                         vocab_size=int(meta["vocab_size"]), token_inputs=tuple(meta["token_inputs"]),
                         default_seq=int(meta.get("seq", 128)), description=f"ExportedProgram {path.name}")

    return ModelSpec(str(path), CLASSIFICATION, 224, build, source="pt2", path=str(path),
                     description=f"ExportedProgram {path.name}")


def _pt2_meta(path: Path) -> dict:
    """The inputs infercost saved with an exported token module (extra/infercost.json), or {}."""
    with zipfile.ZipFile(path) as archive:
        name = next((n for n in archive.namelist() if n.endswith(f"extra/{PT2_META}")), None)
        if name is None:
            return {}
        try:
            data = json.loads(archive.read(name))
        except ValueError:
            raise UsageError(f"{path}: its {PT2_META} does not parse") from None
    return data if isinstance(data, dict) else {}


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
    the directory alone, never the network; its inputs from the config and the model's forward signature. A causal
    language model needs its config.json alone: it is known by its shape (models/llm.py)."""
    directory = Path(target)
    if not (directory / "config.json").is_file():
        raise UsageError(f"hf:{target} is not a Hugging Face model directory (no config.json in it)")
    raw = read_config(directory)
    is_causal = any(a.endswith("CausalLM") or a.endswith("LMHeadModel") for a in raw.get("architectures") or ())
    if is_causal:  # a language model: its shape from config.json's numbers; weights only when bench loads them
        return _language_model(f"hf:{target}", LLMShape.from_config(raw, f"hf:{target}"), raw, directory)
    from infercost.models.wrappers import HiddenStates

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

    inputs = _forward_inputs(transformers, config)
    return ModelSpec(f"hf:{target}", TEXT, 1, build, in_channels=0, source="hf", path=str(directory),
                     vocab_size=vocab, token_inputs=inputs, causal=causal if is_causal else None,
                     description=f"Hugging Face {config.model_type} from {directory.name}")


def _forward_inputs(transformers, config) -> tuple[str, ...]:
    """The token inputs the model's forward takes, read from its class: nothing is built (a 7B model in fp32 would
    take 28 GB just to be asked)."""
    import inspect

    try:
        model_class = transformers.AutoModel._model_mapping[type(config)]
    except (KeyError, AttributeError):
        return ("input_ids", "attention_mask")
    accepted = inspect.signature(model_class.forward).parameters
    return tuple(n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted)


def _language_model(name: str, shape: LLMShape, config: dict, directory: Path | None = None) -> ModelSpec:
    """A causal language model known by its shape: profiled and predicted from it; built (random weights, or the
    directory's own) only to be measured, and refused with its size where it would not fit this machine."""

    def loaded(head: bool) -> nn.Module:
        check_buildable(name, shape)
        transformers = transformers_module()
        auto = transformers.AutoModelForCausalLM if head else transformers.AutoModel
        weights = directory is not None and any(p.suffix in (".safetensors", ".bin") for p in directory.iterdir())
        if weights:
            model = auto.from_pretrained(str(directory), local_files_only=True, attn_implementation="eager")
        else:
            made = transformers.AutoConfig.for_model(config["model_type"], **{
                k: v for k, v in config.items() if k not in ("model_type", "architectures")})
            model = auto.from_config(made, attn_implementation="eager")
        from infercost.models.wrappers import HiddenStates

        return model if head else HiddenStates(model)

    return ModelSpec(name, TEXT, 1, lambda **_: loaded(False), in_channels=0, source="llm",
                     path=str(directory) if directory else None, vocab_size=shape.vocab,
                     token_inputs=("input_ids", "attention_mask"), causal=lambda **_: loaded(True), llm=shape,
                     description=f"{shape.model_type} language model, {shape.params / 1e9:.2f}B parameters"
                                 + (f" ({shape.active_params / 1e9:.2f}B active)" if shape.moe else "")
                                 + (f" from {directory.name}" if directory else ""))


def check_buildable(name: str, shape: LLMShape) -> None:
    """Refuse to build a model whose fp32 weights would take more than half this machine's memory: before a bench
    starts (grid.expand), and again in the child that builds it."""
    from infercost.env import fingerprint

    ram = fingerprint().get("ram_bytes") or 0
    if ram and not fits_here(shape, 4, ram):
        raise UsageError(f"{name} has {shape.params / 1e9:.1f}B parameters: {gib(shape.params * 4)} in fp32, more "
                         f"than this machine's {gib(ram)} can build; predict it on the hardware you would serve it "
                         f"on (infercost predict {name} --accelerator ...)")


def _shipped(name: str) -> ModelSpec | None:
    """A language model the package ships the shape of (models/data/llm-architectures.csv), by its lower-case name."""
    found = shipped().get(name)
    if found is None:
        return None
    shape, row = found
    return _language_model(name, shape, row_config(row))


def resolve_model(name: str) -> ModelSpec:
    if name in ZOO:
        return ZOO[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name.startswith("hf:"):
        return _hf(name.split(":", 1)[1])
    named = _shipped(name)
    if named is not None:
        return named
    if name.startswith("torchvision:"):
        return _torchvision(name.split(":", 1)[1])
    if name.startswith("python:"):
        return _python(name.split(":", 1)[1])
    path = Path(name)
    if path.suffix in (".pt2", ".onnx"):
        if not path.is_file():
            raise UsageError(f"model file {name} does not exist")
        return _pt2(path) if path.suffix == ".pt2" else _onnx(path)
    close = difflib.get_close_matches(name, list(ZOO) + list(_REGISTERED) + list(shipped()), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"unknown model {name!r}{hint} (zoo: {', '.join(ZOO)}; or torchvision:NAME, "
                     f"a .onnx/.pt2 file, python:module:factory)")


def check_size_axis(model: str, *, seq: bool = False, resolution: bool = False) -> ModelSpec:
    """The model's spec, once its size was given on its own axis: a sequence length for a token model, a resolution
    for an image model. The one check for every command that takes either."""
    spec = resolve_model(model)
    if seq and not spec.tokens:
        raise UsageError(f"{model} takes images, not tokens: give --resolution, not --seq-len")
    if resolution and spec.tokens:
        raise UsageError(f"{model} takes tokens, not images: give --seq-len, not --resolution")
    return spec
