"""The command line: JSON output, one-line errors with exit 2, records appended."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from infercost.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("args", [
    ["bench", "nope"], ["bench", "resnet50", "--batch", "0"], ["bench", "resnet50", "--resolution", "12y"],
    ["bench", "resnet50", "--device", "gpu"], ["bench", "resnet50", "--backend", "tensorrtx"],
    ["bench", "resnet50", "--memory-limit", "lots"], ["bench", "resnet50", "--precision", "fp8"],
])
def test_bad_input_is_one_line_and_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:")
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_bench_json(tmp_path):
    result = run("bench", "edsr", "--resolution", "16", "--batch", "1,2", "--min-time", "0", "--max-time", "0.2",
                 "--out", str(tmp_path), "--json", "--no-probe")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["batch_size"] for r in records] == [1, 2]
    assert all(r["status"] == "ok" for r in records)
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 2


def test_models_json():
    result = run("models", "--json")
    names = {row["name"]: row for row in json.loads(result.output)}
    assert set(names) == {"vgg19", "resnet50", "bert-base", "gpt2", "llama-1.1b", "vit-b16", "unet", "edsr"}
    assert names["resnet50"]["params"] == 25_557_032 and names["resnet50"]["gflops"] > 8


def test_env_json():
    data = json.loads(run("env", "--json").output)
    for key in ("host", "os", "cpu_model", "cpu_cores", "isa_flags", "ram_bytes", "gpus", "python", "libraries",
                "instance_type", "gpu_driver", "cuda_version"):
        assert key in data


@pytest.mark.slow
def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "infercost", "--help"], capture_output=True, text=True,
                            check=True)
    assert "bench" in result.stdout


@pytest.mark.slow
def test_probe_measures_a_ceiling(monkeypatch, tmp_path):
    from infercost.probe import cached_probe, run_probe, save_probe

    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path))
    result = run_probe("cpu", ("fp32",))
    assert result["peak_flops_per_s"]["fp32"] > 1e9 and result["copy_bandwidth_bytes_per_s"] > 1e8
    save_probe(result)
    assert cached_probe("cpu", run_if_missing=False) == result
