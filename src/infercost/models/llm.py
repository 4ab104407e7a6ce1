"""Language models by their shape: parameters, KV cache and FLOPs from a config's numbers, with nothing built.

Runtime layer (models). A shape comes from a Hugging Face config.json read as JSON (no framework, no weights) or
from a row of the architectures the package ships (models/data/llm-architectures.csv, 41 open models with where
each was read). Dense and grouped-query attention, mixtures of experts (all experts held in memory, the routed ones
computed), DeepSeek's latent attention (a compressed KV cache) and sliding windows are told apart, since each
changes what a decode step reads.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infercost.errors import UsageError
from infercost.layers import LayerProfile

ARCHITECTURES = Path(__file__).parent / "data" / "llm-architectures.csv"
# Families whose MLP is two matrices (up, down) rather than three (gate, up, down), and whose layers carry biases.
NOT_GATED = {"gpt2", "gpt_neox", "gptj", "opt", "bloom", "falcon", "phi", "starcoder2", "gpt_bigcode", "mpt",
             "RefinedWeb"}
TIED_BY_DEFAULT = {"gpt2", "gemma", "gemma2", "gemma3_text", "opt", "bloom", "falcon", "RefinedWeb"}
LEARNED_POSITIONS = {"gpt2", "opt", "gpt_bigcode", "bloom"}


def _first(config: Mapping, *keys: str, default=None):
    for key in keys:
        value = config.get(key)
        if value not in (None, ""):
            return value
    return default


@dataclass(frozen=True)
class LLMShape:
    """A decoder-only language model's numbers: what its weights hold, what a token costs, what its cache keeps."""

    name: str
    model_type: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool = False
    gated: bool = True
    experts: int = 0  # routed experts per MoE layer (0: dense)
    experts_per_token: int = 0
    shared_experts: int = 0
    expert_intermediate: int = 0
    dense_layers: int = 0  # leading layers that stay dense in an MoE model (DeepSeek's first_k_dense_replace)
    kv_lora_rank: int = 0  # latent attention: the cached latent per token per layer, beside its rope part
    q_lora_rank: int = 0
    rope_head_dim: int = 0
    nope_head_dim: int = 0
    v_head_dim: int = 0
    sliding_window: int = 0
    positions: int = 0  # learned position embeddings (GPT-2, OPT)
    qkv_bias: bool = False
    extra_norms: int = 0  # per layer, beyond the two pre-norms: Qwen3's query and key norms, Gemma 2's post-norms

    @classmethod
    def from_config(cls, config: Mapping, name: str = "") -> LLMShape:
        """From a config.json's fields (GPT-2's n_embd/n_layer/n_head spellings too); one clear line naming the
        field that is missing."""
        model_type = str(_first(config, "model_type", default=""))
        hidden = _first(config, "hidden_size", "n_embd", "d_model")
        layers = _first(config, "num_hidden_layers", "n_layer", "num_layers")
        heads = _first(config, "num_attention_heads", "n_head")
        vocab = _first(config, "vocab_size")
        for field_name, value in (("hidden_size", hidden), ("num_hidden_layers", layers),
                                  ("num_attention_heads", heads), ("vocab_size", vocab)):
            if not value:
                raise UsageError(f"{name or 'the config'} has no {field_name}: a language model's shape needs "
                                 f"hidden_size, num_hidden_layers, num_attention_heads and vocab_size")
        hidden, layers, heads, vocab = int(hidden), int(layers), int(heads), int(vocab)
        multi_query = bool(config.get("multi_query"))
        kv_heads = int(_first(config, "num_key_value_heads", "n_head_kv", "num_kv_heads",
                              default=1 if multi_query else heads))
        experts = int(_first(config, "num_local_experts", "num_experts", "n_routed_experts", default=0) or 0)
        shared = int(_first(config, "n_shared_experts", default=0) or 0)
        if not shared and config.get("shared_expert_intermediate_size"):
            shared = 1
        return cls(
            name=name or str(_first(config, "_name_or_path", default=model_type)), model_type=model_type,
            hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
            head_dim=int(_first(config, "head_dim", default=hidden // heads)),
            intermediate=int(_first(config, "intermediate_size", "n_inner", "ffn_dim", default=4 * hidden)),
            vocab=vocab,
            tied=_bool(config.get("tie_word_embeddings"), model_type in TIED_BY_DEFAULT),
            gated=model_type not in NOT_GATED,
            experts=experts, experts_per_token=int(_first(config, "num_experts_per_tok", default=0) or 0),
            shared_experts=shared,
            expert_intermediate=int(_first(config, "moe_intermediate_size", "intermediate_size", default=0) or 0),
            dense_layers=int(_first(config, "first_k_dense_replace", default=0) or 0),
            kv_lora_rank=int(_first(config, "kv_lora_rank", default=0) or 0),
            q_lora_rank=int(_first(config, "q_lora_rank", default=0) or 0),
            rope_head_dim=int(_first(config, "qk_rope_head_dim", default=0) or 0),
            nope_head_dim=int(_first(config, "qk_nope_head_dim", default=0) or 0),
            v_head_dim=int(_first(config, "v_head_dim", default=0) or 0),
            sliding_window=int(_first(config, "sliding_window", default=0) or 0),
            positions=int(_first(config, "n_positions", "max_position_embeddings", default=0) or 0)
            if model_type in LEARNED_POSITIONS else 0,
            qkv_bias=_bool(_first(config, "attention_bias", "qkv_bias"), model_type in ("qwen2", "qwen2_moe")),
            extra_norms=2 * int(_first(config, "head_dim", default=hidden // heads))
            if model_type in ("qwen3", "qwen3_moe") or _bool(config.get("norm_qk"), False)
            else 2 * hidden if model_type in ("gemma2", "gemma3_text") else 0,
        )

    # What the weights hold.

    def attention_params(self) -> int:
        h, n, k, d = self.hidden, self.heads, self.kv_heads, self.head_dim
        if self.kv_lora_rank:  # latent attention: queries (through a low-rank step or not), the latent, its expansion
            qk = self.nope_head_dim + self.rope_head_dim
            q = h * self.q_lora_rank + self.q_lora_rank * n * qk + self.q_lora_rank if self.q_lora_rank else h * n * qk
            kv = h * (self.kv_lora_rank + self.rope_head_dim) + self.kv_lora_rank
            return q + kv + self.kv_lora_rank * n * (self.nope_head_dim + self.v_head_dim) + n * self.v_head_dim * h
        bias = (n * d + 2 * k * d) if self.qkv_bias or not self.gated else 0
        return h * n * d + 2 * h * k * d + n * d * h + bias + (h if not self.gated else 0)

    def mlp_params(self, width: int) -> int:
        """One MLP (or one expert) of this inner width."""
        if self.gated:
            return 3 * self.hidden * width
        return 2 * self.hidden * width + width + self.hidden  # with biases

    def layer_params(self, index: int, active: bool = False) -> int:
        norms = 2 * self.hidden * (1 if self.gated else 2) + self.extra_norms
        if not self.experts or index < self.dense_layers:
            return self.attention_params() + self.mlp_params(self.intermediate) + norms
        routed = self.experts_per_token if active else self.experts
        experts = (routed + self.shared_experts) * self.mlp_params(self.expert_intermediate)
        return self.attention_params() + experts + self.hidden * self.experts + norms

    def embedding_params(self) -> int:
        head = 0 if self.tied else self.vocab * self.hidden
        return self.vocab * self.hidden + head + self.positions * self.hidden + self.hidden * (1 if self.gated else 2)

    @property
    def params(self) -> int:
        """Every parameter: what memory holds."""
        return self.embedding_params() + sum(self.layer_params(i) for i in range(self.layers))

    @property
    def active_params(self) -> int:
        """The parameters one token is computed with (a mixture of experts routes it through a few)."""
        return self.embedding_params() + sum(self.layer_params(i, active=True) for i in range(self.layers))

    @property
    def moe(self) -> bool:
        return self.experts > 0

    # What the cache keeps and a decode step reads.

    def kv_elements_per_token(self) -> int:
        """Cached elements per token over all layers: keys and values, or latent attention's compressed latent."""
        if self.kv_lora_rank:
            return self.layers * (self.kv_lora_rank + self.rope_head_dim)
        return 2 * self.layers * self.kv_heads * self.head_dim

    def weights_read_per_step(self, batch: int) -> float:
        """Parameters a decode step of `batch` sequences reads: all of a dense model; of an MoE layer, the shared
        experts and the expected number of distinct routed experts its batch x experts_per_token choices touch
        (each expert drawn uniformly: E x (1 - (1 - k/E)^B))."""
        if not self.moe:
            return float(self.params)
        touched = self.experts * (1 - (1 - self.experts_per_token / self.experts) ** max(batch, 1))
        per_expert = self.mlp_params(self.expert_intermediate)
        moe_layers = self.layers - self.dense_layers
        unread = moe_layers * (self.experts - touched) * per_expert
        return float(self.params - unread)

    def attended(self, context: int) -> int:
        """Tokens one new token attends to: the whole context, or the sliding window."""
        return min(context, self.sliding_window) if self.sliding_window else context

    # A forward pass over a prompt, as layers of a profile (no LM head: the prefill's logits are one token's).

    def prefill_layers(self, batch: int, seq: int, element_bytes: float) -> list[LayerProfile]:
        """Per transformer layer its projections, its attention over the prompt and its MLP: FLOPs (2 per
        multiply-add), the weight bytes read and the activation bytes moved."""
        tokens = batch * seq
        layers = []
        h = self.hidden
        attention_weights = self.attention_params()
        span = sum(self.attended(i + 1) for i in range(seq)) if self.sliding_window else seq * (seq + 1) // 2
        qk = (self.nope_head_dim + self.rope_head_dim) if self.kv_lora_rank else self.head_dim
        v = self.v_head_dim if self.kv_lora_rank else self.head_dim
        for i in range(self.layers):
            mlp = self.layer_params(i, active=True) - attention_weights - 2 * h
            mlp_weights = self.layer_params(i) - attention_weights - 2 * h
            act = int(tokens * h * element_bytes)
            layers += [
                LayerProfile(name=f"layers.{i}.attention.projections", kind="Linear",
                             flops=2 * tokens * attention_weights, weight_bytes=int(attention_weights * element_bytes),
                             activation_bytes=4 * act, params=attention_weights),
                LayerProfile(name=f"layers.{i}.attention.scores", kind="Attention",
                             flops=2 * batch * self.heads * span * (qk + v), weight_bytes=0,
                             activation_bytes=int(batch * self.heads * span * element_bytes) + 2 * act, params=0),
                LayerProfile(name=f"layers.{i}.mlp", kind="Linear", flops=2 * tokens * mlp,
                             weight_bytes=int(mlp_weights * element_bytes), activation_bytes=4 * act,
                             params=mlp_weights + 2 * h),
            ]
        embeddings = self.embedding_params()
        layers.append(LayerProfile(name="embeddings", kind="Embedding", flops=0,
                                   weight_bytes=int(embeddings * element_bytes), activation_bytes=0,
                                   params=embeddings))
        return layers


def _bool(value, default: bool) -> bool:
    if value in (None, ""):
        return default
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


def read_config(directory: str | Path) -> dict:
    """A model directory's config.json as it is written, without transformers."""
    path = Path(directory) / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} does not read as JSON ({exc})") from None


def shipped_name(display: str) -> str:
    """'Llama 3.1 70B' -> 'llama-3.1-70b'; '(extra)' and 'Instruct' notes kept out."""
    text = re.sub(r"\(.*?\)", "", display).strip().lower()
    return re.sub(r"\s+", "-", text)


def row_config(row: dict) -> dict:
    """A CSV row as a config.json would say it, its attention notes' key=value pairs included."""
    config = {k: v for k, v in row.items() if v not in (None, "")}
    for key, value in re.findall(r"(\w+)=([\w.]+)", row.get("attention") or ""):
        config.setdefault(key, value)
    if "sliding window" in (row.get("attention") or "") and "sliding_window" not in config:
        found = re.search(r"sliding window (\d+)", row["attention"])
        config["sliding_window"] = found.group(1) if found else 0
    if config.get("sliding_window") in ("None", "null"):
        config.pop("sliding_window")
    config["model_type"] = config.get("model_type") or row.get("name", "").split()[0].lower()
    if row.get("experts_per_token"):
        config["num_experts_per_tok"] = row["experts_per_token"]
    if row.get("shared_experts"):
        config["n_shared_experts"] = row["shared_experts"]
    return {k: (int(v) if isinstance(v, str) and v.isdigit() else v) for k, v in config.items()}


@functools.lru_cache(maxsize=1)
def shipped() -> dict[str, tuple[LLMShape, dict]]:
    """The shipped architectures by name: each one's shape and its row (source, stated parameter counts)."""
    found = {}
    with ARCHITECTURES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                shape = LLMShape.from_config(row_config(row), shipped_name(row["name"]))
            except UsageError:
                continue  # a row without the numbers a shape needs (OPT 30B has no vocabulary)
            found.setdefault(shape.name, (shape, row))
    return found


def stated_params(row: dict) -> float | None:
    """A model card's parameter count, where the row has one ('7.61B' -> 7.61e9)."""
    text = (row.get("params_total") or "").strip().upper()
    if not text:
        return None
    scale = {"B": 1e9, "M": 1e6}.get(text[-1], 1.0)
    return float(text.rstrip("BM")) * scale


def gib(count: float) -> str:
    return f"{count / 2**30:.1f} GiB" if count < 2**40 else f"{count / 2**40:.2f} TiB"


def fits_here(shape: LLMShape, element_bytes: int, ram_bytes: int) -> bool:
    """Whether the weights leave half the machine's memory free (a build with random weights needs room)."""
    return shape.params * element_bytes <= ram_bytes / 2


__all__ = ["ARCHITECTURES", "LLMShape", "fits_here", "gib", "read_config", "row_config", "shipped", "shipped_name",
           "stated_params"]
