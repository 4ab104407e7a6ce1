"""Each backend on a tiny input, the output check, --backend auto's choice, and unavailable backends."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from infercost.accuracy import compare, parse_tolerances
from infercost.backends import backend_class, require_backend
from infercost.backends.base import Backend
from infercost.case import Case
from infercost.cli import cli
from infercost.errors import BackendUnavailableError, UsageError
from infercost.results.record import Record
from infercost.runner import Runner, RunOptions
from infercost.selection import choose

needs_ort = pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime not installed")
needs_ov = pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino not installed")


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def tiny(backend: str, precision: str = "fp32", model: str = "edsr", batch: int = 2) -> Case:
    return Case(model, backend=backend, precision=precision, batch_size=batch, height=32, width=32)


@pytest.mark.slow
@needs_ort
@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_onnxruntime(fast_timer, precision):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(tiny("onnxruntime", precision))
    assert record.status == "ok", record.error
    assert record.accuracy_ok is True and record.accuracy["rel_l2"] < 0.25
    assert record.stack["provider"] == "CPUExecutionProvider"
    if precision == "int8":
        assert "random data" in record.stack["calibration"]


@pytest.mark.slow
@needs_ov
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_openvino_records_what_it_ran_at(fast_timer, precision):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(tiny("openvino", precision, model="resnet50"))
    if record.status == "unsupported":
        pytest.skip(record.error)
    assert record.status == "ok", record.error
    assert record.stack["inference_precision"] == precision
    assert record.accuracy_ok is True


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_torch_compile(fast_timer):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(
        Case("torchvision:squeezenet1_1", backend="torch-compile", height=32, width=32))
    if record.status == "unsupported":
        pytest.skip(record.error)
    assert record.status == "ok", record.error
    assert record.stack["compile_s"] > 0 and record.accuracy_ok


@pytest.mark.slow
@needs_ort
def test_user_onnx_file_reads_its_inputs(tmp_path, fast_timer):
    import torch

    path = tmp_path / "net.onnx"
    torch.onnx.export(torch.nn.Conv2d(3, 4, 3), (torch.rand(1, 3, 20, 24),), str(path), dynamo=False,
                      input_names=["pixels"], dynamic_axes={"pixels": {0: "n"}})
    result = CliRunner().invoke(cli, ["bench", str(path), "--backend", "onnxruntime", "--min-time", "0",
                                      "--max-time", "0.1", "--no-probe", "--out", str(tmp_path), "--json"])
    record = json.loads(result.output)[0]
    assert record["status"] == "ok" and (record["height"], record["width"]) == (20, 24)
    assert record["accuracy"]["error"].startswith("no PyTorch reference")


@needs_ort
def test_onnx_file_with_dynamic_size_needs_a_resolution(tmp_path):
    import torch

    path = tmp_path / "dyn.onnx"
    torch.onnx.export(torch.nn.Conv2d(3, 4, 3), (torch.rand(1, 3, 20, 24),), str(path), dynamo=False,
                      input_names=["x"], dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})
    result = CliRunner().invoke(cli, ["bench", str(path), "--backend", "onnxruntime"])
    assert result.exit_code == 2 and "--resolution" in result.output


def test_compare_and_tolerances():
    import numpy as np

    ref = np.ones(100)
    assert compare(ref, ref, "fp32")["accuracy_ok"]
    off = compare(ref * 1.01, ref, "fp32")
    assert not off["accuracy_ok"] and off["rel_l2"] == pytest.approx(0.01)
    assert compare(ref * 1.01, ref, "bf16")["accuracy_ok"]
    assert parse_tolerances("fp32=0.02")["fp32"] == 0.02
    with pytest.raises(UsageError):
        parse_tolerances("fp9=1")


def fake_record(case: Case, latency: float | None, ok: bool = True, status: str = "ok") -> Record:
    record = Record.for_case(case, run_id="r", status=status, env={}, timing={"method": "adaptive"},
                             accuracy_ok=ok)
    return record.with_samples([latency] * 3) if latency else record


def test_auto_picks_the_fastest_accurate_stack():
    latencies = {("torch", "fp32"): (0.06, True), ("onnxruntime", "fp32"): (0.03, True),
                 ("openvino", "int8"): (0.005, False), ("openvino", "bf16"): (0.01, True),
                 ("onnxruntime", "fp16"): (None, None)}

    def run(case):
        latency, ok = latencies[(case.backend, case.precision)]
        return fake_record(case, latency, ok, "ok" if latency else "unsupported")

    winner, selection = choose(Case("resnet50", batch_size=8), list(latencies), run)
    assert (winner.backend, winner.precision, winner.batch_size) == ("openvino", "bf16", 8)
    assert selection["speedup_vs_torch_fp32"] == pytest.approx(6.0)
    assert len(selection["tried"]) == 5


def test_auto_with_no_passing_stack():
    winner, selection = choose(Case("resnet50"), [("torch", "fp32")],
                               lambda case: fake_record(case, None, None, "oom"))
    assert winner is None and selection["winner"] is None


def test_missing_package_says_which_extra(monkeypatch):
    class Fake(Backend):
        name = "fake"
        packages = ("surely_not_installed_pkg",)
        extra = "fake"

    assert 'pip install "infercost[fake]"' in Fake.unavailable_reason()
    import infercost.backends as registry

    monkeypatch.setitem(registry.BACKENDS, "fake", "tests.test_backends:FakeBackend")
    with pytest.raises(BackendUnavailableError, match=r"infercost\[fake\]"):
        require_backend("fake")


class FakeBackend(Backend):
    name = "fake"
    packages = ("surely_not_installed_pkg",)
    extra = "fake"


def test_unavailable_backend_is_a_record_not_a_traceback(monkeypatch, fast_timer):
    import infercost.backends as registry

    monkeypatch.setitem(registry.BACKENDS, "fake", "tests.test_backends:FakeBackend")
    record = Runner(RunOptions(fast_timer, isolate=False)).run(tiny("fake"))
    assert record.status == "error" and "infercost[fake]" in record.error


def test_backends_json_lists_every_backend():
    rows = json.loads(CliRunner().invoke(cli, ["backends", "--json"]).output)
    names = {r["name"]: r for r in rows}
    assert {"torch", "onnxruntime", "openvino", "torch-compile", "tensorrt"} <= set(names)
    assert names["torch"]["available"] and "cpu" in names["torch"]["devices"]
    assert backend_class("torch").precisions == ("fp32", "fp16", "bf16")


def test_fraction_of_peak():
    from infercost.probe import fraction_of_peak

    probe = {"peak_flops_per_s": {"fp32": 2e11}}
    assert fraction_of_peak(1e11, "fp32", probe) == 0.5
    assert fraction_of_peak(1e11, "int8", probe) is None
