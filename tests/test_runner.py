"""Isolated runs: every outcome (ok, oom, timeout, error, unsupported) becomes a record; the parent goes on."""

from __future__ import annotations

import json

import pytest

from infercost.case import Case
from infercost.errors import UsageError
from infercost.results.record import SCHEMA
from infercost.runner import Runner, RunOptions
from infercost.units import parse_size

REQUIRED = ("schema", "run_id", "model", "backend", "device", "precision", "batch_size", "height", "width",
            "status", "error", "warnings", "cold_start_s", "samples_s", "stats", "throughput_per_s",
            "peak_memory_bytes", "flops", "params", "started_at", "env")
STATS = ("mean_s", "median_s", "stdev_s", "min_s", "max_s", "p90_s", "p95_s", "p99_s", "ci95_low_s", "ci95_high_s")


@pytest.mark.slow
def test_isolated_ok_record_has_every_field(fast_timer):
    record = Runner(RunOptions(fast_timer, timeout_s=120)).run(Case("edsr", height=16, width=16))
    data = json.loads(record.to_json())
    assert data["status"] == "ok", data["error"]
    assert all(key in data for key in REQUIRED)
    assert all(key in data["stats"] for key in STATS)
    assert data["schema"] == SCHEMA
    assert len(data["samples_s"]) >= 3
    assert data["throughput_per_s"] == pytest.approx(1 / data["stats"]["median_s"])
    assert data["env"]["cpu_cores"] >= 1 and "torch" in data["env"]["libraries"]
    assert data["flops"] > 0 and data["params"] == 1_369_859


@pytest.mark.slow
def test_memory_limit_gives_oom(fast_timer):
    record = Runner(RunOptions(fast_timer, timeout_s=120, memory_limit_bytes=parse_size("64MiB"))).run(
        Case("unet", batch_size=4, height=256, width=256))
    assert record.status == "oom", record.error


@pytest.mark.slow
def test_timeout_gives_timeout_record():
    slow = Runner(RunOptions(timeout_s=0.5))
    record = slow.run(Case("vgg19", batch_size=8))
    assert record.status == "timeout"
    assert "0.5 s" in record.error


def test_unsupported_precision_is_a_record(fast_timer):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(Case("edsr", precision="int8", height=16, width=16))
    assert record.status == "unsupported"
    assert "int8" in record.error


def test_cuda_without_gpu_is_unsupported(fast_timer):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    record = Runner(RunOptions(fast_timer, isolate=False)).run(Case("edsr", device="cuda", height=16, width=16))
    assert record.status == "unsupported"


def test_in_process_bf16(fast_timer):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(Case("edsr", precision="bf16", height=16, width=16))
    assert record.status == "ok"
    assert record.stack["dtype"] == "bfloat16"


@pytest.mark.parametrize(("text", "value"), [("4GiB", 4 * 2**30), ("512MB", 512 * 10**6), ("1.5g", 3 * 2**29)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "-1GiB", "4 parsecs", "0"])
def test_parse_size_rejects(text):
    with pytest.raises(UsageError):
        parse_size(text)


def test_a_record_above_the_peak_raises_the_peak_and_says_so(tmp_path, monkeypatch):
    from infercost.env import fingerprint
    from infercost.probe import with_peak
    from infercost.results.record import Record

    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path))
    probe = {"device": "cpu", "peak_flops_per_s": {"fp32": 1e11}}  # not this machine's: nothing is saved
    record = Record.for_case(Case("edsr"), run_id="t", status="ok", env=fingerprint(),
                             achieved_flops_per_s=1.5e11)
    raised = with_peak(record, probe)
    assert raised.fraction_of_peak == 1.0 and "stored peak is raised" in raised.warnings[0]
    assert probe["peak_flops_per_s"]["fp32"] == 1.5e11
    assert with_peak(record.model_copy(update={"achieved_flops_per_s": 0.75e11}), probe).fraction_of_peak == 0.5


@pytest.mark.slow
def test_a_registered_module_reaches_the_child_as_an_exported_program(fast_timer):
    from torch import nn

    from infercost.models import register_model

    register_model(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), "registered-conv")
    record = Runner(RunOptions(fast_timer, timeout_s=120)).run(Case("registered-conv", height=16, width=16))
    assert record.status == "ok", record.error
    assert record.model == "registered-conv" and record.case_id == Case("registered-conv", height=16, width=16).case_id
    assert any("ExportedProgram" in w for w in record.warnings)
