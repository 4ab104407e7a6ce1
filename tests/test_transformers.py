"""Token models: BERT-base and GPT-2 in the zoo with random weights, counted and measured at a sequence length."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from infercost.cli import cli
from infercost.models import ZOO, resolve_model

pytest.importorskip("transformers")


@pytest.mark.parametrize(("name", "params"), [("bert-base", 109_482_240), ("gpt2", 124_439_808)])
def test_parameter_counts(name, params):
    assert ZOO[name].params() == params


@pytest.mark.parametrize("seq", [128, 512])
def test_flops_count_the_attention_within_five_percent_of_the_analytic_count(seq):
    layers, hidden = 12, 768
    analytic = 2 * layers * 12 * hidden**2 * seq + 4 * layers * seq**2 * hidden  # linear layers + QK^T and AV
    assert ZOO["bert-base"].flops(seq=seq) == pytest.approx(analytic, rel=0.05)


def test_token_inputs_stay_inside_the_vocabulary():
    x = ZOO["gpt2"].example_input(2, 1, 1, seq=16)
    assert set(x) == {"input_ids", "attention_mask"} and x["input_ids"].shape == (2, 16)
    assert 0 <= int(x["input_ids"].min()) and int(x["input_ids"].max()) < 50_257


def test_a_token_model_takes_a_sequence_length_not_a_resolution():
    result = CliRunner().invoke(cli, ["bench", "bert-base", "--resolution", "224", "--no-probe"])
    assert result.exit_code == 2 and "--seq-len" in result.output


@pytest.mark.slow
def test_bert_base_runs_at_each_sequence_length_with_its_output_checked(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "bert-base", "--seq-len", "8,16", "--precision", "fp32,bf16",
                                      "--min-time", "0", "--max-time", "0.2", "--no-probe", "--out", str(tmp_path),
                                      "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["status"] for r in records] == ["ok"] * 4 and all(r["accuracy_ok"] for r in records)
    assert records[0]["flops"] < records[1]["flops"]  # 8 tokens, then 16


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_bert_base_exports_with_a_dynamic_sequence_axis_and_runs_int8(tmp_path, backend):
    """Exported at 16 tokens, run at 8 and 32: the output check proves the attention was exported right."""
    pytest.importorskip(backend)
    result = CliRunner().invoke(cli, ["bench", "bert-base", "--backend", backend, "--seq-len", "8,32",
                                      "--precision", "fp32,int8", "--min-time", "0", "--max-time", "0.2",
                                      "--no-probe", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["status"] for r in records] == ["ok"] * 4 and all(r["accuracy_ok"] for r in records)
    assert all(r["accuracy"]["rel_l2"] < 1e-4 for r in records if r["precision"] == "fp32")


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    from transformers import BertConfig, BertModel

    directory = tmp_path_factory.mktemp("hf") / "tiny-bert"
    BertModel(BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         vocab_size=500)).save_pretrained(str(directory))
    return directory


def test_a_hugging_face_directory_loads_with_its_inputs_from_the_config(tiny_bert_dir):
    spec = resolve_model(f"hf:{tiny_bert_dir}")
    assert spec.tokens and spec.vocab_size == 500
    assert spec.token_inputs == ("input_ids", "attention_mask", "token_type_ids")
    assert spec.params() > 0 and spec.flops(seq=32) > spec.flops(seq=8) > 0


def test_a_directory_without_a_config_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["bench", f"hf:{tmp_path}", "--no-probe"])
    assert result.exit_code == 2 and "no config.json" in result.output


@pytest.mark.slow
def test_a_hugging_face_directory_runs_on_torch_and_onnxruntime(tiny_bert_dir, tmp_path):
    result = CliRunner().invoke(cli, ["bench", f"hf:{tiny_bert_dir}", "--backend", "torch,onnxruntime",
                                      "--seq-len", "8,32", "--min-time", "0", "--max-time", "0.2", "--no-probe",
                                      "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["status"] for r in records] == ["ok"] * 4 and all(r["accuracy_ok"] for r in records)
