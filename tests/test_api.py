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
