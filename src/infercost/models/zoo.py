"""The model zoo: each model knows its task, default resolution, parameter count and FLOPs at any resolution.

Runtime layer (models).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infercost.errors import UsageError

if TYPE_CHECKING:  # torch is imported where a model is built: a prediction by shape never needs it
    import torch
    from torch import nn

CLASSIFICATION = "classification"
IMAGE_TO_IMAGE = "image-to-image"
TEXT = "text"  # token ids in, hidden states out


@dataclass(frozen=True)
class ModelSpec:
    """How to build a model and what it is; `build(**options)` returns a module with random weights."""

    name: str
    task: str
    default_resolution: int
    build: Callable[..., nn.Module] = field(repr=False, compare=False)
    in_channels: int = 3
    source: str = "zoo"
    description: str = ""
    options: dict = field(default_factory=dict, compare=False)  # default options and their allowed values
    path: str | None = None  # for file-based models (.onnx, .pt2)
    vocab_size: int = 0  # a token model's vocabulary; 0 for an image model
    token_inputs: tuple[str, ...] = ()  # the inputs a token model takes, by name
    default_seq: int = 128
    any_size: bool = True  # False: the model runs at its default resolution only (ViT's position embeddings)
    causal: Callable[..., nn.Module] | None = field(default=None, repr=False, compare=False)  # with its LM head
    # A language model's shape from its config's numbers (models/llm.py): profiled and predicted without a build.
    llm: object | None = field(default=None, repr=False, compare=False)

    @property
    def tokens(self) -> bool:
        return self.vocab_size > 0

    @property
    def images_of_any_size(self) -> bool:
        return not self.tokens and self.any_size

    def create(self, seed: int = 0, **options: object) -> nn.Module:
        """The model with seeded random weights: every backend and the output check see the same weights."""
        import torch

        torch.manual_seed(seed)
        model = self.build(**options)
        # An exported program's module is already in inference form and refuses .eval().
        return model if self.source == "pt2" else model.eval()

    def example_input(self, batch: int, height: int, width: int, dtype: torch.dtype | None = None,
                      device: str | torch.device = "cpu", seed: int = 0, seq: int | None = None):
        """An image batch (a tensor), or for a token model its inputs by name: ids inside the vocabulary, an
        attention mask of ones, token-type ids of zeros (integer tensors, whatever `dtype` says)."""
        import torch

        generator = torch.Generator().manual_seed(seed)
        if self.tokens:
            shape = (batch, seq or self.default_seq)
            made = {"input_ids": torch.randint(0, self.vocab_size, shape, generator=generator),
                    "attention_mask": torch.ones(shape, dtype=torch.int64),
                    "token_type_ids": torch.zeros(shape, dtype=torch.int64)}
            return {name: made[name].to(device) for name in self.token_inputs}
        x = torch.rand(batch, self.in_channels, height, width, generator=generator)
        return x.to(device=device, dtype=dtype or torch.float32)

    def meta_input(self, batch: int, height: int, width: int, seq: int | None = None):
        """The same input on the meta device: shapes and types only, for counting (no attention mask: building one
        reads its values, which a meta tensor doesn't have, and an all-ones mask changes no op's size)."""
        import torch

        if self.tokens:
            shape = (batch, seq or self.default_seq)
            return {name: torch.empty(shape, dtype=torch.int64, device="meta") for name in self.token_inputs
                    if name != "attention_mask"}
        return torch.empty(batch, self.in_channels, height, width, device="meta")

    def params(self, **options: object) -> int:
        return _count_params(self, tuple(sorted(options.items())))

    def flops(self, height: int | None = None, width: int | None = None, batch: int = 1, seq: int | None = None,
              **options: object) -> int:
        """FLOPs (2 per multiply-add) of one forward pass, op by op as predict's profile counts them (models.ops);
        a token model's at `seq` tokens (its default when None)."""
        height = height or self.default_resolution
        width = width or height
        return _count_flops(self, height, width, tuple(sorted(options.items())), seq) * batch


def _on_meta(spec: ModelSpec, options: tuple) -> nn.Module:
    """Build on the meta device where the model allows it: no memory, no random init cost."""
    import torch

    if spec.source in ("zoo", "torchvision"):
        with torch.device("meta"):
            return spec.create(**dict(options))
    return spec.create(**dict(options))


@functools.lru_cache(maxsize=64)
def _count_params(spec: ModelSpec, options: tuple) -> int:
    return sum(p.numel() for p in _on_meta(spec, options).parameters())


@functools.lru_cache(maxsize=256)
def _count_flops(spec: ModelSpec, height: int, width: int, options: tuple, seq: int | None = None) -> int:
    from infercost.models.ops import record_ops

    layers, _ = record_ops(spec, 1, height, width=width, options=options, seq=seq)
    return sum(layer.flops for layer in layers)


def _vgg19(**_: object) -> nn.Module:
    from torchvision.models import vgg19

    return vgg19(weights=None)


def _resnet50(**_: object) -> nn.Module:
    from torchvision.models import resnet50

    return resnet50(weights=None)


def transformers_module():
    try:
        import transformers
    except ImportError:
        raise UsageError('this model needs transformers: pip install "infercost[transformers]"') from None
    transformers.utils.logging.set_verbosity_error()  # no progress bars or notes in a measured child's output
    transformers.utils.logging.disable_progress_bar()
    return transformers


def _bert_base(**_: object) -> nn.Module:
    """BERT-base, uncased vocabulary (30,522), random weights; eager attention (explicit matmuls and softmax)."""
    transformers = transformers_module()
    config = transformers.BertConfig(attn_implementation="eager")
    from infercost.models.wrappers import HiddenStates

    return HiddenStates(transformers.BertModel(config))


def _gpt2(**_: object) -> nn.Module:
    """GPT-2 small's forward pass (no generation), random weights; eager attention."""
    transformers = transformers_module()
    config = transformers.GPT2Config(attn_implementation="eager")
    from infercost.models.wrappers import HiddenStates

    return HiddenStates(transformers.GPT2Model(config))


def _gpt2_lm(**_: object) -> nn.Module:
    """GPT-2 small with its language-model head (tied to the embeddings), for generation; random weights."""
    transformers = transformers_module()
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(attn_implementation="eager"))


def _llama_config():
    """A Llama-architecture model of about 1.1B parameters (TinyLlama's shape): hidden 2048, 22 layers, 32 heads,
    4 key-value heads, intermediate 5632, vocabulary 32,000."""
    transformers = transformers_module()
    return transformers.LlamaConfig(hidden_size=2048, num_hidden_layers=22, num_attention_heads=32,
                                    num_key_value_heads=4, intermediate_size=5632, vocab_size=32_000,
                                    max_position_embeddings=2048, attn_implementation="eager")


def _llama(**_: object) -> nn.Module:
    transformers = transformers_module()
    from infercost.models.wrappers import HiddenStates

    return HiddenStates(transformers.LlamaModel(_llama_config()))


def _llama_lm(**_: object) -> nn.Module:
    return transformers_module().LlamaForCausalLM(_llama_config())


def _vit_b16(**_: object) -> nn.Module:
    from torchvision.models import vit_b_16

    return vit_b_16(weights=None)


def _unet(in_channels: int = 3, num_classes: int = 2, base: int = 64) -> nn.Module:
    from infercost.models.unet import UNet

    return UNet(in_channels=in_channels, num_classes=num_classes, base=base)


def _edsr(scale: int = 2, variant: str = "baseline") -> nn.Module:
    from infercost.models.edsr import edsr_baseline, edsr_full

    if variant not in ("baseline", "full"):
        raise UsageError(f"EDSR variant must be baseline or full, got {variant!r}")
    return (edsr_full if variant == "full" else edsr_baseline)(scale=int(scale))


ZOO: dict[str, ModelSpec] = {
    "vgg19": ModelSpec("vgg19", CLASSIFICATION, 224, _vgg19, description="VGG19 (torchvision)"),
    "resnet50": ModelSpec("resnet50", CLASSIFICATION, 224, _resnet50, description="ResNet50 (torchvision)"),
    "bert-base": ModelSpec("bert-base", TEXT, 1, _bert_base, in_channels=0, vocab_size=30_522,
                           token_inputs=("input_ids", "attention_mask", "token_type_ids"),
                           description="BERT-base encoder (transformers, random weights); --seq-len sets the length"),
    "gpt2": ModelSpec("gpt2", TEXT, 1, _gpt2, in_channels=0, vocab_size=50_257,
                      token_inputs=("input_ids", "attention_mask"), causal=_gpt2_lm,
                      description="GPT-2 small (transformers, random weights); --output-len generates"),
    "llama-1.1b": ModelSpec("llama-1.1b", TEXT, 1, _llama, in_channels=0, vocab_size=32_000,
                            token_inputs=("input_ids", "attention_mask"), causal=_llama_lm,
                            description="Llama architecture, 1.1B (TinyLlama's shape, random weights); "
                                        "--output-len generates"),
    "vit-b16": ModelSpec("vit-b16", CLASSIFICATION, 224, _vit_b16, any_size=False,
                         description="ViT-B/16 (torchvision); 224x224 only: its position embeddings fix the size"),
    "unet": ModelSpec("unet", IMAGE_TO_IMAGE, 256, _unet, description="U-Net, 64 base channels, batch norm",
                      options={"in_channels": 3, "num_classes": 2, "base": 64}),
    "edsr": ModelSpec("edsr", IMAGE_TO_IMAGE, 256, _edsr, description="EDSR baseline x2 (16 blocks, 64 features)",
                      options={"scale": 2, "variant": "baseline"}),
}
