"""Generation: TTFT, TPOT and inter-token latency as vLLM and AIPerf define them, on a fake clock; a tiny causal
model generated with a static and a dynamic KV cache; generation cases in the grid and the CLI."""

from __future__ import annotations

import itertools

import pytest

from infercost.case import Case
from infercost.errors import UsageError
from infercost.generation.metrics import generation_metrics

transformers = pytest.importorskip("transformers")


def test_the_definitions_on_exact_token_times():
    # Two runs of four tokens: the first token at 0.5 s, then one every 0.1 s (and 0.2 s once in the second run).
    runs = [[0.5, 0.6, 0.7, 0.8], [0.5, 0.6, 0.8, 0.9]]
    found = generation_metrics(runs, batch=2)
    assert found["ttft_s"] == 0.5
    assert found["e2e_s"] == pytest.approx(0.85)  # the median of 0.8 and 0.9
    assert found["tpot_s"] == pytest.approx((0.1 + 0.4 / 3) / 2)  # (e2e - ttft) / (output - 1), median over runs
    assert found["itl_p50_s"] == pytest.approx(0.1) and found["itl_p99_s"] == pytest.approx(0.2, abs=0.01)
    assert found["output_tokens_per_s"] == pytest.approx(2 * 4 / 0.85)
    with pytest.raises(ValueError):
        generation_metrics([[]], 1)


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-gpt2")
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=97, n_positions=64,
                                     attn_implementation="eager")
    transformers.GPT2LMHeadModel(config).save_pretrained(directory)
    return f"hf:{directory}"


class FakeClock:
    """Each reading is 10 ms after the last: a prefill and every decode step take exactly one tick."""

    def __init__(self) -> None:
        self.ticks = itertools.count()

    def __call__(self) -> float:
        return next(self.ticks) * 0.01


@pytest.mark.parametrize("cache", ["static", "dynamic"])
def test_a_tiny_causal_model_generates_with_either_cache_on_a_fake_clock(tiny_gpt2, cache):
    from infercost.generation.measure import Generator, generation_record_fields, load_causal, measure
    from infercost.models import resolve_model

    spec = resolve_model(tiny_gpt2)
    case = Case.from_dict({
                    "model": tiny_gpt2, "batch_size": 2, "inputs": [{"name": "input_ids", "dtype": "int64",
                                                                     "shape": ["batch", "seq"]}],
                    "options": {"cache": cache, "dims": "seq=8", "output_len": 5}})
    generator = Generator(load_causal(spec, case), case, 8, 5, spec.vocab_size, clock=FakeClock())
    runs, cold = measure(generator, min_time_s=0.0, max_time_s=10.0, min_runs=3)
    assert len(runs) == 3 and all(run == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05]) for run in runs)
    found = generation_record_fields(generator, runs, element_bytes=4)
    assert found["ttft_s"] == pytest.approx(0.01) and found["tpot_s"] == pytest.approx(0.01)
    assert found["kv_cache_bytes"] == 2 * 2 * 2 * (8 + 5) * 32 * 4  # k and v, layers, batch, tokens, hidden, fp32
    assert found["cache"] == cache


def test_static_and_dynamic_caches_generate_the_same_tokens(tiny_gpt2):
    import torch

    from infercost.generation.measure import Generator, load_causal
    from infercost.models import resolve_model

    spec = resolve_model(tiny_gpt2)
    tokens = {}
    for cache in ("static", "dynamic"):
        case = Case.from_dict({"model": tiny_gpt2, "batch_size": 1, "inputs": [{"name": "input_ids",
                               "dtype": "int64", "shape": ["batch", "seq"]}],
                               "options": {"cache": cache, "dims": "seq=6", "output_len": 4}})
        generator = Generator(load_causal(spec, case), case, 6, 4, spec.vocab_size)
        generator.run()
        tokens[cache] = generator.last_tokens
    assert torch.equal(tokens["static"], tokens["dynamic"])


def test_an_output_length_makes_generation_cases_and_refuses_a_model_that_cannot_generate():
    from infercost.grid import Grid, dim_bindings

    cases = Grid(("gpt2",), batches=(1, 4), dims=tuple(dim_bindings([], [128, 512])), output_lens=(32,)).cases()
    assert len(cases) == 4 and all(c.output_len == 32 for c in cases)
    assert {c.size_label for c in cases} == {"prompt 128 + 32 out", "prompt 512 + 32 out"}
    with pytest.raises(UsageError, match="not a causal language model"):
        Grid(("bert-base",), dims=("seq=16",), output_lens=(8,)).cases()


def test_generation_records_come_out_of_bench(tiny_gpt2, tmp_path):
    from infercost.commands.bench import run_bench
    from infercost.grid import Grid
    from infercost.runner import RunOptions
    from infercost.timing import TimerConfig

    grid = Grid((tiny_gpt2,), batches=(1,), dims=("seq=8",), output_lens=(4,))
    records = run_bench(grid, RunOptions(TimerConfig(min_time_s=0.0, max_time_s=1.0)), str(tmp_path),
                        progress=False, probe=False)
    record = records[0]
    assert record.status == "ok", record.error
    assert record.generation["output_tokens"] == 4 and record.generation["ttft_s"] > 0
    assert record.generation["e2e_s"] >= record.generation["ttft_s"]
    assert record.size_label == "prompt 8 + 4 out" and record.peak_memory_bytes is not None


def test_predict_generation_gives_ttft_and_tpot_with_bands_and_the_memory_check():
    import json

    from click.testing import CliRunner

    from infercost.cli import cli

    def predicted(*args):
        result = CliRunner().invoke(cli, ["predict", "gpt2", "--accelerator", "L4", "--json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["generation"]

    one = predicted("--prompt-len", "512", "--output-len", "128", "--batch", "1")
    eight = predicted("--prompt-len", "512", "--output-len", "128", "--batch", "8")
    for g in (one, eight):
        assert g["ttft_low_s"] < g["ttft_s"] < g["ttft_high_s"] and g["tpot_low_s"] < g["tpot_s"] < g["tpot_high_s"]
        assert g["decode_bound"] == "memory bandwidth" and g["fits_in_memory"] is True
    # A batch reads the weights once a step: eight sequences cost far less than eight times one.
    assert one["tpot_s"] < eight["tpot_s"] < 2 * one["tpot_s"]
    assert eight["output_tokens_per_s"] > 4 * one["output_tokens_per_s"]
    huge = predicted("--prompt-len", "1000", "--output-len", "1000", "--batch", "4096")
    assert huge["fits_in_memory"] is False
    refused = CliRunner().invoke(cli, ["predict", "bert-base", "--accelerator", "L4", "--prompt-len", "64",
                                       "--output-len", "8"])
    assert refused.exit_code == 2 and "not a causal language model" in refused.output


@pytest.mark.slow
def test_recommend_ranks_instances_by_cost_per_million_output_tokens_under_both_targets():
    import json

    from click.testing import CliRunner

    from infercost.cli import cli

    result = CliRunner().invoke(cli, ["recommend", "--model", "gpt2", "--prompt-len", "256", "--output-len", "64",
                                      "--qps", "4", "--slo-ttft-ms", "500", "--slo-tpot-ms", "50",
                                      "--providers", "aws", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    feasible = [r for r in rows if r["feasible"]]
    assert feasible and all(r["ttft_p99_s"] <= 0.5 and r["tpot_p99_s"] <= 0.05 for r in feasible)
    costs = [r["cost_per_million_output_tokens"] for r in feasible]
    assert costs == sorted(costs)
    assert all(r["reason"] for r in rows if not r["feasible"])


def test_a_study_of_a_causal_model_climbs_generation_ladders_over_batch_and_prompt():
    from infercost.study.plan import GENERATION_OUTPUT, build_plan

    plan = build_plan("quick", ["gpt2"], flags=[])
    generation = [lad for lad in plan.ladders if lad.output_len]
    assert {lad.backend for lad in generation} == {"torch"}
    assert any(len(lad.batches) > 1 for lad in generation) and any(len(lad.seq_lens) > 1 for lad in generation)
    assert all(c.output_len == GENERATION_OUTPUT for lad in generation for c in lad.cases())
    assert not [lad for lad in build_plan("quick", flags=[]).ladders if lad.output_len]  # the default study
    both = build_plan("quick", ["gpt2"], backends=["torch", "onnxruntime", "openvino"], precisions=["fp32"])
    assert {lad.backend for lad in both.ladders if lad.output_len} == {"torch", "onnxruntime"}  # OpenVINO: no cache


def test_onnx_runtime_with_a_kv_cache_generates_the_tokens_torch_does(tiny_gpt2):
    pytest.importorskip("onnxruntime")
    import numpy as np
    import torch

    from infercost.generation.measure import Generator, generation_record_fields, load_causal
    from infercost.generation.onnxruntime_kv import OnnxGenerator, load_onnx_causal
    from infercost.models import resolve_model

    spec = resolve_model(tiny_gpt2)
    case = Case.from_dict({"model": tiny_gpt2, "backend": "onnxruntime", "batch_size": 2, "inputs": [
        {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]}], "options": {"dims": "seq=7",
                                                                                       "output_len": 5}})
    session, config, params, stack = load_onnx_causal(spec, case)
    onnx = OnnxGenerator(session, config, case, 7, 5, spec.vocab_size, clock=FakeClock())
    assert onnx.run() == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    reference = Generator(load_causal(spec, case.with_(backend="torch")), case.with_(backend="torch"), 7, 5,
                          spec.vocab_size)
    reference.ids = torch.from_numpy(onnx.ids)
    reference.run()
    np.testing.assert_array_equal(onnx.last_tokens, reference.last_tokens.numpy())
    assert stack["framework"] == "onnxruntime" and params == sum(p.numel() for p in reference.model.parameters())
    found = generation_record_fields(onnx, [[0.01, 0.02, 0.03, 0.04, 0.05]], element_bytes=4)
    assert found["kv_cache_bytes"] == 2 * 2 * 2 * (7 + 5) * 32 * 4


def test_generation_on_onnx_runtime_comes_out_of_bench_and_bf16_is_refused_with_its_reason(tiny_gpt2, tmp_path):
    pytest.importorskip("onnxruntime")
    from infercost.commands.bench import run_bench
    from infercost.grid import Grid
    from infercost.runner import RunOptions
    from infercost.timing import TimerConfig

    grid = Grid((tiny_gpt2,), backends=("onnxruntime",), precisions=("fp32", "int8", "bf16"), batches=(1,),
                dims=("seq=8",), output_lens=(4,))
    records = {r.precision: r for r in run_bench(grid, RunOptions(TimerConfig(min_time_s=0.0, max_time_s=1.0)),
                                                 str(tmp_path), progress=False, probe=False)}
    assert records["fp32"].status == "ok" and records["int8"].status == "ok", records["fp32"].error
    assert records["int8"].stack["quantization"].startswith("dynamic int8")
    assert records["bf16"].status == "unsupported" and "fp32, int8" in records["bf16"].error


def test_a_cpu_named_alone_is_predicted_per_core_and_its_decode_band_is_wider_below():
    import json

    from click.testing import CliRunner

    from infercost.cli import cli
    from infercost.predict.generation import CPU_DECODE_LOW

    found = {}
    for flag, where in (("--accelerator", "EPYC Genoa"), ("--instance", "c7a.large")):
        result = CliRunner().invoke(cli, ["predict", "gpt2", flag, where, "--prompt-len", "64", "--output-len", "16",
                                          "--json"])
        assert result.exit_code == 0, result.output  # a CPU named alone used to end in a traceback
        found[flag] = json.loads(result.output)["generation"]
    g = found["--instance"]
    assert g["tpot_low_s"] == pytest.approx(g["tpot_s"] * CPU_DECODE_LOW) and "widened" in g["tpot_band_source"]
    assert found["--accelerator"]["tpot_s"] > g["tpot_s"]  # one core reads more slowly than the instance's two


def test_an_int8_model_counts_the_parameters_it_was_quantized_from(tiny_gpt2):
    from infercost.generation.measure import load_causal
    from infercost.models import resolve_model

    spec = resolve_model(tiny_gpt2)
    counts = {}
    for precision in ("fp32", "int8"):
        case = Case.from_dict({"model": tiny_gpt2, "precision": precision, "inputs": [{"name": "input_ids",
                               "dtype": "int64", "shape": ["batch", "seq"]}],
                               "options": {"dims": "seq=6", "output_len": 4}})
        model = load_causal(spec, case)
        counts[precision] = (model.infercost_params, sum(p.numel() for p in model.parameters()))
    assert counts["int8"][0] == counts["fp32"][0] == counts["fp32"][1]
    assert counts["int8"][1] < counts["fp32"][1]  # the packed int8 weights are not parameters any more
