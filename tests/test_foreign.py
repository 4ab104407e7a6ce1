"""Backends in an environment of their own: the worker's protocol with a fake framework, the parent's record, the
Runner's routing, and (where the environments exist) real MXNet and TensorFlow cases."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import pytest

from infercost import venvs
from infercost.case import Case
from infercost.foreign import worker
from infercost.runner import Runner, RunOptions
from infercost.runner.foreign import foreign_record, write_input
from infercost.timing import TimerConfig

FAST = TimerConfig(min_calls=3, min_time_s=0.0, max_calls=5, max_time_s=1.0, warmup_calls=1, warmup_time_s=0.0)


@pytest.fixture
def fake_framework(monkeypatch):
    monkeypatch.setitem(worker.FRAMEWORKS, "mxnet", "tests.fake_framework")


def request_for(case: Case, tmp_path) -> dict:
    write_input(case, tmp_path / "input.npy")
    return {"case": case.to_dict(), "run_id": "t", "timer": asdict(FAST), "input_path": str(tmp_path / "input.npy")}


def test_the_worker_times_with_infercost_s_timer_and_summarizes_the_output(fake_framework, tmp_path):
    case = Case("resnet50", backend="mxnet", batch_size=2, height=32, width=32)
    result = worker.measure(request_for(case, tmp_path))
    assert result["status"] == "ok" and 3 <= len(result["samples_s"]) <= 5
    assert result["output"]["shape"] == [1, 3] and result["output"]["finite"]
    assert result["versions"] == {"fakeframework": "0.1"}


def test_unsupported_and_failures_come_back_as_results(fake_framework, tmp_path):
    case = Case("resnet50", backend="mxnet", precision="int8", height=32, width=32)
    (tmp_path / "req.json").write_text(json.dumps(request_for(case, tmp_path)))
    worker.main([str(tmp_path / "req.json"), str(tmp_path / "out.json")])
    result = json.loads((tmp_path / "out.json").read_text())
    assert result == {"status": "unsupported", "error": "the fake framework has no int8"}


def test_the_parent_records_the_framework_s_versions_and_a_shape_only_check(fake_framework, tmp_path):
    case = Case("resnet50", backend="mxnet", batch_size=2, height=32, width=32)
    result = worker.measure(request_for(case, tmp_path))
    record = foreign_record(case, result, RunOptions(FAST, run_id="t"), python="/envs/mxnet/bin/python")
    assert record.ok and record.env["libraries"]["fakeframework"] == "0.1"
    assert record.env["python_env"] == "/envs/mxnet/bin/python" and record.flops and record.accuracy_ok is None
    assert record.accuracy["weights"].startswith("differ") and record.accuracy["shape_ok"] is False
    assert any("differs from PyTorch" in w for w in record.warnings)


@pytest.mark.slow
def test_the_runner_spawns_the_named_interpreter_and_records_what_went_wrong(monkeypatch, tmp_path):
    """This interpreter has no MXNet: the case runs in a child with it and comes back as an error record."""
    pytest.importorskip("numpy")
    if venvs.python_for("mxnet") and not venvs.explicit_python("mxnet"):
        pytest.skip("a real mxnet environment exists; the real test below covers it")
    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INFERCOST_PYTHON_MXNET", sys.executable)
    record = Runner(RunOptions(FAST, timeout_s=120)).run(Case("resnet50", backend="mxnet", height=32, width=32))
    if record.ok:
        pytest.skip("this interpreter has mxnet")
    assert record.status == "error" and "mxnet" in record.error.lower()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["mxnet", "tensorflow"])
def test_real_framework_runs_resnet50_when_its_environment_exists(backend):
    name = "mxnet" if backend == "mxnet" else "tensorflow"
    if not venvs.python_for(name):
        pytest.skip(f"no {name} environment (infercost envs create {name})")
    record = Runner(RunOptions(FAST, timeout_s=300)).run(
        Case("resnet50", backend=backend, batch_size=2, height=64, width=64))
    assert record.ok, record.error
    assert record.accuracy["shape_ok"] and record.accuracy["finite"] and record.stats.median_s > 0


def test_envs_list_says_how_to_create_what_is_missing(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from infercost.cli import cli

    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path))
    monkeypatch.delenv("INFERCOST_PYTHON_MXNET", raising=False)
    monkeypatch.setenv("INFERCOST_PYTHON_TENSORFLOW", "/opt/tf/bin/python")
    result = CliRunner().invoke(cli, ["envs", "list"])
    assert result.exit_code == 0
    assert "mxnet: not created (infercost envs create mxnet)" in result.output
    assert "tensorflow: /opt/tf/bin/python" in result.output
    from infercost.commands.backends import list_backends

    rows = {row["name"]: row for row in list_backends()}
    assert not rows["mxnet"]["available"] and "infercost envs create mxnet" in rows["mxnet"]["reason"]
