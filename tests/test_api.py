"""The Python API: infercost.bench on a name or an nn.Module (isolated), infercost.load(...).to_pandas()."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import infercost
from infercost.errors import UsageError

README_EXAMPLE = """
import infercost
from torch import nn

net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
records = infercost.bench(net, batch=[1, 4], resolution=32, out="my-results")
print(infercost.load("my-results").to_pandas()[["batch_size", "status", "latency_s"]])
"""


@pytest.mark.slow
def test_the_readme_example_benches_a_module_in_a_child(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(README_EXAMPLE, {})  # noqa: S102 - the README's own lines, run as a user would
    frame = infercost.load(tmp_path / "my-results").to_pandas()
    assert list(frame["batch_size"]) == [1, 4] and set(frame["status"]) == {"ok"}
    assert all(str(m).startswith("module:Sequential") for m in frame["model"])
    assert all(".pt2" in w for w in frame["warnings"])  # sent to the child as an ExportedProgram, and it says so
    assert "latency_s" in capsys.readouterr().out


class DataDependent(nn.Module):
    def forward(self, x):
        return x * 2 if x.sum() > 0 else x  # torch.export can't trace a branch on the data


def test_a_module_that_cannot_be_exported_is_refused_not_run_in_process():
    with pytest.raises(UsageError, match="can't be sent to a child process: torch.export failed"):
        infercost.bench(DataDependent(), resolution=8)


def test_in_process_is_explicit(tmp_path):
    from infercost.runner import RunOptions
    from infercost.timing import TimerConfig

    fast = RunOptions(TimerConfig(min_calls=3, min_time_s=0.0, max_calls=5, max_time_s=1.0, warmup_calls=1))
    records = infercost.bench(nn.Conv2d(3, 4, 3), resolution=16, isolate=False, out=tmp_path, options=fast)
    assert [r.status for r in records] == ["ok"] and records[0].model.startswith("module:Conv2d")
    assert len(infercost.load(tmp_path)) == 1 and torch.is_grad_enabled()


def test_the_package_exports_the_api():
    assert {"bench", "load", "Case", "InfercostError"} <= set(infercost.__all__)
    with pytest.raises(AttributeError):
        infercost.nothing_here  # noqa: B018


class TokenSum(nn.Module):
    """Takes token ids and nothing else: an embedding, pooled."""

    def __init__(self) -> None:
        super().__init__()
        self.embed, self.head = nn.Embedding(500, 16), nn.Linear(16, 4)

    def forward(self, input_ids):
        return self.head(self.embed(input_ids)).mean(1)


def test_a_transformers_module_is_known_as_a_token_model_without_being_told():
    transformers = pytest.importorskip("transformers")
    from infercost.models import register_model

    config = transformers.BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, vocab_size=300)
    spec = register_model(transformers.BertModel(config), "test-tiny-bert")
    assert spec.tokens and spec.vocab_size == 300
    assert spec.token_inputs == ("input_ids", "attention_mask", "token_type_ids")
    out = spec.create()(**spec.example_input(2, 1, 1, seq=5))
    assert tuple(out.shape) == (2, 5, 32)  # the ModelOutput's first tensor: its last hidden states


def test_token_inputs_take_the_vocabulary_from_the_embedding():
    from infercost.models import register_model

    spec = register_model(TokenSum(), "test-token-sum", inputs=["input_ids"])
    assert spec.tokens and spec.vocab_size == 500 and spec.token_inputs == ("input_ids",)
    ids = spec.example_input(3, 1, 1, seq=7)["input_ids"]
    assert ids.shape == (3, 7) and int(ids.max()) < 500


def test_inputs_that_are_neither_an_image_nor_token_ids_are_refused_in_one_line():
    with pytest.raises(UsageError, match="Export it to ONNX"):
        infercost.bench(TokenSum(), inputs=[infercost.Input("pixel", "float32", ("batch", 7))])
    with pytest.raises(UsageError, match="describes a torch.nn.Module"):
        infercost.bench("resnet50", inputs=["input_ids"])


@pytest.mark.slow
def test_a_token_module_runs_in_a_child_at_each_sequence_length(tmp_path):
    records = infercost.bench(TokenSum(), inputs=["input_ids"], batch=2, seq_len=[4, 8], out=tmp_path)
    assert [r.status for r in records] == ["ok", "ok"]
    assert [r.options["dims"] for r in records] == ["seq=4", "seq=8"]
    assert all(r.inputs[0]["name"] == "input_ids" and ".pt2" in r.warnings[-1] for r in records)
