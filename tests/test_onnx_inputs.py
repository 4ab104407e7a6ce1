"""A user's ONNX file with several inputs and named dynamic dimensions: bound with --dim and --seq-len, fed with
token ids inside the vocabulary, masks of ones; refused in one line when a dimension is left unbound."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from infercost.case import parse_dims
from infercost.cli import cli
from infercost.errors import UsageError
from infercost.grid import dim_bindings
from infercost.inputs import Input
from infercost.models.onnx_file import feeds, read_inputs

pytest.importorskip("onnx")


class Tokens(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding, self.head = nn.Embedding(1000, 16), nn.Linear(16, 4)

    def forward(self, input_ids, attention_mask):
        return self.head(self.embedding(input_ids) * attention_mask.unsqueeze(-1).float()).mean(1)


@pytest.fixture(scope="module")
def token_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "tokens.onnx"
    ids, mask = torch.randint(0, 1000, (2, 8)), torch.ones(2, 8, dtype=torch.int64)
    torch.onnx.export(Tokens().eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                      output_names=["y"], dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}})
    return path


def test_named_dimensions_bind_and_conventional_ones_fill_themselves():
    tokens = Input("input_ids", "int64", ("batch_size", "seq"))
    assert tokens.bind(4, None, None, {"seq": 128}) == (4, 128)
    assert Input("ids", "int64", ("batch", "sequence_length")).bind(2, None, None, {"seq": 16}) == (2, 16)
    image = Input("x", "float32", ("N", 3, "h", "w"))
    assert image.bind(2, 64, 96, {}) == (2, 3, 64, 96)
    with pytest.raises(UsageError, match="bind it with --dim seq=VALUE or --seq-len"):
        tokens.bind(1, None, None, {})
    with pytest.raises(UsageError, match="fixed at 224x224"):
        Input("x", "float32", (1, 3, 224, 224)).bind(1, 64, 64, {})
    assert parse_dims("seq=128, heads=12") == {"seq": 128, "heads": 12}
    for bad in ("seq", "=4", "seq=0", "seq=nan"):
        with pytest.raises(UsageError):
            parse_dims(bad)
    assert dim_bindings(["heads=2"], [16, 32]) == ["heads=2,seq=16", "heads=2,seq=32"]
    assert dim_bindings([], []) == []


def test_token_ids_stay_inside_the_vocabulary_and_masks_are_ones(token_file):
    inputs = read_inputs(token_file)
    data = feeds(token_file, inputs, {i.name: (2, 8) for i in inputs})
    assert data["input_ids"].dtype == np.int64 and 0 <= data["input_ids"].min() and data["input_ids"].max() < 1000
    assert data["input_ids"].max() > 1  # the vocabulary was found: not the fallback of 2
    assert (data["attention_mask"] == 1).all()


def test_an_unbound_dimension_is_one_line_before_anything_runs(token_file):
    result = CliRunner().invoke(cli, ["bench", str(token_file), "--backend", "onnxruntime", "--no-probe"])
    assert result.exit_code == 2 and "--dim seq=VALUE or --seq-len" in result.output
    result = CliRunner().invoke(cli, ["bench", "resnet50", "--seq-len", "16", "--no-probe"])
    assert result.exit_code == 2 and "resnet50 is neither" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_a_token_model_runs_at_each_sequence_length(token_file, tmp_path, backend):
    pytest.importorskip(backend)
    result = CliRunner().invoke(cli, ["bench", str(token_file), "--backend", backend, "--seq-len", "8,32",
                                      "--batch", "2", "--min-time", "0", "--max-time", "0.2", "--no-probe",
                                      "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert [json.loads(json.dumps(r["options"]))["dims"].split(",")[0] for r in records] == ["seq=8", "seq=32"]


def test_an_onnx_file_runs_on_onnx_runtime_unless_a_backend_is_named():
    from infercost.grid import default_backend

    assert default_backend(["model.onnx"]) == "onnxruntime"
    assert default_backend(["model.onnx", "resnet50"]) == "torch" == default_backend(["hf:some/dir"])
