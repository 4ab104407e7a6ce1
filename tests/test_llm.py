"""Language models by their shape: parameter counts from a config's numbers, nothing built; predicting one by name
or from a directory holding only config.json."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from infercost.cli import cli
from infercost.models.llm import LLMShape, shipped, stated_params

transformers = pytest.importorskip("transformers")

TINY = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, vocab_size=128)
CONFIGS = {
    "llama (grouped-query)": lambda: transformers.LlamaConfig(**TINY, num_key_value_heads=2),
    "gpt2 (biases, tied)": lambda: transformers.GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=128,
                                                           n_positions=32),
    "qwen2 (qkv bias)": lambda: transformers.Qwen2Config(**TINY, num_key_value_heads=2),
    "mixtral (experts)": lambda: transformers.MixtralConfig(**TINY, num_key_value_heads=2, num_local_experts=4,
                                                            num_experts_per_tok=2),
    "qwen3_moe (experts)": lambda: transformers.Qwen3MoeConfig(**TINY, num_key_value_heads=2, num_experts=4,
                                                               num_experts_per_tok=2, moe_intermediate_size=32,
                                                               head_dim=16, decoder_sparse_step=1,
                                                               mlp_only_layers=[]),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_the_count_from_the_numbers_equals_the_built_models(name):
    config = CONFIGS[name]()
    built = transformers.AutoModelForCausalLM.from_config(config)
    counted = sum(p.numel() for p in built.parameters())
    assert LLMShape.from_config(config.to_dict(), name).params == counted


def test_the_shipped_shapes_count_what_their_model_cards_state():
    stated = [(name, shape.params, stated_params(row)) for name, (shape, row) in shipped().items()
              if stated_params(row)]
    assert len(stated) >= 6
    for name, counted, card in stated:
        assert counted == pytest.approx(card, rel=0.015), name
    known = {"llama-3.1-8b": 8.03e9, "llama-3.1-70b": 70.6e9, "llama-3.1-405b": 405.9e9, "mixtral-8x7b": 46.7e9,
             "deepseek-v3": 671e9, "qwen3-235b-a22b": 235.1e9}
    for name, count in known.items():
        assert shipped()[name][0].params == pytest.approx(count, rel=0.005), name
    assert shipped()["mixtral-8x7b"][0].active_params == pytest.approx(12.9e9, rel=0.01)
    assert shipped()["deepseek-v3"][0].active_params == pytest.approx(37.5e9, rel=0.02)


def test_a_mixture_of_experts_reads_more_experts_as_its_batch_grows():
    shape = shipped()["mixtral-8x7b"][0]
    one, eight, many = (shape.weights_read_per_step(b) for b in (1, 8, 512))
    assert shape.active_params <= one < eight < many <= shape.params
    assert many == pytest.approx(shape.params, rel=1e-6)
    dense = shipped()["llama-3.1-8b"][0]
    assert dense.weights_read_per_step(1) == dense.params


def test_latent_attention_caches_a_compressed_latent():
    deepseek, llama = shipped()["deepseek-v3"][0], shipped()["llama-3.1-70b"][0]
    assert deepseek.kv_elements_per_token() == 61 * (512 + 64)
    assert deepseek.kv_elements_per_token() < llama.kv_elements_per_token() / 4


def _predict(*args):
    return CliRunner().invoke(cli, ["predict", *args, "--json"])


def test_a_directory_with_only_a_config_predicts_generation(tmp_path):
    """A 7B model's config.json alone: nothing is built (28 GB in fp32), the shape is read from the numbers."""
    (tmp_path / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}))
    result = _predict(f"hf:{tmp_path}", "--accelerator", "L4", "--prompt-len", "128", "--output-len", "64")
    assert result.exit_code == 0, result.output
    generation = json.loads(result.output)["generation"]
    assert generation["ttft_s"] > 0 and generation["tpot_s"] > 0
    assert generation["weights_bytes"] == pytest.approx(8.03e9 * 4, rel=0.005)


def test_a_saved_causal_model_predicts_generation(tmp_path):
    """The traceback this fixed: predict hf:DIR --prompt-len on a causal directory with its weights."""
    config = transformers.GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=128, n_positions=64)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "tiny")
    result = _predict(f"hf:{tmp_path / 'tiny'}", "--accelerator", "T4", "--prompt-len", "16", "--output-len", "8")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["generation"]["tpot_s"] > 0


def test_a_named_language_model_predicts_by_name():
    result = _predict("llama-3.1-70b", "--accelerator", "H100", "--precision", "bf16", "--prompt-len", "1024",
                      "--output-len", "256", "--batch", "16")
    assert result.exit_code == 0, result.output
    generation = json.loads(result.output)["generation"]
    assert generation["weights_bytes"] == pytest.approx(70.55e9 * 2, rel=0.005)
    assert generation["fits_in_memory"] is False  # 141 GB of weights on one 80 GB H100


def test_bad_shapes_and_builds_too_big_are_one_line(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                                                      "num_hidden_layers": 2}))
    missing = _predict(f"hf:{tmp_path}", "--accelerator", "L4", "--prompt-len", "16", "--output-len", "8")
    assert missing.exit_code == 2 and "hidden_size" in missing.output and "Traceback" not in missing.output
    big = CliRunner().invoke(cli, ["bench", "llama-3.1-405b", "--prompt-len", "8", "--output-len", "2"])
    assert big.exit_code == 2 and "405.9B parameters" in big.output


def test_models_lists_the_language_models_by_kind():
    result = CliRunner().invoke(cli, ["models", "--kind", "llm", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert len(rows) >= 40 and rows["mixtral-8x7b"]["experts"] == "2 of 8"
    assert rows["deepseek-v3"]["attention"] == "latent (MLA)"


def _generation(*args):
    result = _predict(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


LLAMA_70B = ("llama-3.1-70b", "--instance", "p5.48xlarge", "--prompt-len", "1024", "--output-len", "256",
             "--batch", "16")


def test_tensor_parallelism_splits_a_replica_over_its_instances_accelerators():
    alone = _generation(*LLAMA_70B, "--precision", "fp8")
    split = _generation(*LLAMA_70B, "--precision", "fp8", "--tp", "4")
    g = split["generation"]
    assert split["replicas"] == 2 and g["tp"] == 4 and g["interconnect"].startswith("NVLink")
    assert g["memory_per_device_bytes"] == pytest.approx(g["weights_bytes"] / 4 + g["kv_cache_bytes"] / 4)
    assert g["fits_in_memory"] is True
    assert g["tpot_s"] < alone["generation"]["tpot_s"] and g["all_reduce_per_step_s"] > 0
    assert "divided over 4 devices" in g["ttft_band_source"]


def test_the_precisions_language_models_are_served_in():
    fp8 = _generation(*LLAMA_70B, "--precision", "fp8", "--tp", "4")["generation"]
    bf16 = _generation(*LLAMA_70B, "--precision", "bf16", "--tp", "4")["generation"]
    w4 = _generation(*LLAMA_70B, "--precision", "w4a16", "--tp", "4")["generation"]
    assert fp8["weights_bytes"] == pytest.approx(bf16["weights_bytes"] / 2)
    assert w4["weights_bytes"] == pytest.approx(bf16["weights_bytes"] / 4)
    assert fp8["ttft_s"] < bf16["ttft_s"] and fp8["ttft_band_source"].startswith("validated")
    cache = _generation(*LLAMA_70B, "--precision", "fp8", "--tp", "4", "--kv-precision", "fp8")["generation"]
    assert cache["kv_cache_bytes"] == pytest.approx(fp8["kv_cache_bytes"] / 2)


@pytest.mark.parametrize(("args", "words"), [
    (("--accelerator", "A100-80GB", "--precision", "fp8"), "A100-80GB has no fp8 rate"),
    (("--instance", "p5.48xlarge", "--tp", "3"), "does not divide the model's 64 attention heads"),
    (("--instance", "p5.48xlarge", "--tp", "16"), "has 8 accelerators"),
    (("--accelerator", "K80", "--tp", "2"), "no interconnect figures"),
])
def test_a_split_or_a_precision_a_chip_cannot_take_is_one_line(args, words):
    result = _predict("llama-3.1-70b", *args, "--prompt-len", "128", "--output-len", "16")
    assert result.exit_code == 2 and words in result.output, result.output


def test_recommend_searches_the_split_and_the_precision_for_each_instance():
    result = CliRunner().invoke(cli, ["recommend", "--model", "llama-3.1-70b", "--prompt-len", "1024", "--output-len",
                                      "256", "--qps", "10", "--slo-ttft-ms", "1000", "--slo-tpot-ms", "50",
                                      "--providers", "aws", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    feasible = [r for r in rows if r["feasible"]]
    assert feasible and all(r["precision"] in ("fp16", "bf16", "fp8", "w4a16") for r in feasible)
    p5 = next(r for r in rows if r["instance"] == "p5.48xlarge")
    assert p5["feasible"] and p5["tp"] in (1, 2, 4, 8)  # 141 GB of bf16 weights: split, or fp8/4-bit on fewer
    costs = [r["cost_per_million_output_tokens"] for r in feasible]
    assert costs == sorted(costs)
    assert all(r["reason"] for r in rows if not r["feasible"])


@pytest.mark.slow
def test_generation_is_validated_against_published_llm_rows_with_every_left_out_row_counted():
    from infercost.predict.published_llm import published_rows

    result = CliRunner().invoke(cli, ["predict", "--validate-published", "--kind", "generation", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["points"] >= 1000 and found["fitted"] is True
    assert set(found["by_metric"]) == {"throughput", "ttft", "tpot"}
    assert set(found["by_scenario"]) == {"static", "offline", "server"}
    assert {"A100-80GB", "Trainium", "H100", "B200", "MI300X"} <= set(found["by_group"])
    assert found["points"] + sum(found["left_out"].values()) == len(published_rows())
    for summary in (found, *found["by_group"].values()):
        assert 0 <= summary["median_error"] <= summary["p90_error"] and 0 <= summary["band_coverage"] <= 1
