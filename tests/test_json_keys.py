"""`--json` output keeps its keys: predict, cost, simulate, recommend and loadtest, key for key against a golden file.

The golden file holds each output's shape (its keys, nested; a list by its first element), not its values, so a
refactor that renames, drops or adds a key fails here. After a deliberate change, rewrite it with
INFERCOST_WRITE_GOLDEN=1 python -m pytest tests/test_json_keys.py, and say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from infercost.case import Case
from infercost.cli import cli
from infercost.results import Record, ResultsStore

GOLDEN = Path(__file__).parent / "data" / "json_keys.json"


def shape(value):
    """Keys, nested; a list by its first element; a scalar by nothing but being one."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value and isinstance(value[0], (dict, list)) else []
    return ""


def _image_records(directory) -> None:
    store = ResultsStore(directory)
    for batch, latency in ((1, 0.01), (2, 0.015), (4, 0.025), (8, 0.045)):
        store.append(Record.for_case(Case("resnet50", batch_size=batch, height=64, width=64), run_id="r",
                                     status="ok", env={"ram_bytes": 8 * 2**30}, timing={"method": "adaptive"})
                     .with_samples([latency] * 5))


def _generation_records(directory) -> None:
    store = ResultsStore(directory)
    for b in (1, 4):
        for p in (64, 256):
            case = Case.from_dict({"model": "gpt2", "batch_size": b, "inputs": [
                {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]}],
                "options": {"dims": f"seq={p}", "output_len": 16}})
            ttft, tpot = 0.002 * b * p / 10, 0.02 + 0.002 * b
            store.append(Record.for_case(case, run_id="r", status="ok", env={"ram_bytes": 8 * 2**30},
                                         params=124_439_808, generation={
                                             "prompt_tokens": p, "output_tokens": 16, "ttft_s": ttft, "tpot_s": tpot,
                                             "output_tokens_per_s": b * 16 / (ttft + tpot * 15),
                                             "kv_cache_bytes": 36_864 * b * (p + 16)}).with_samples([0.5]))


def _tiny_causal(directory) -> str:
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64, n_positions=64)
    transformers.GPT2LMHeadModel(config).save_pretrained(directory / "tiny")
    return f"hf:{directory / 'tiny'}"


GEN = ["--prompt-len", "64:256", "--output-len", "16", "--slo-ttft-ms", "500", "--slo-tpot-ms", "100"]
COMMANDS = {
    "predict image": lambda d: ["predict", "resnet50", "--accelerator", "L4", "--resolution", "64"],
    "predict generation": lambda d: ["predict", "gpt2", "--accelerator", "L4", "--prompt-len", "64",
                                     "--output-len", "16"],
    "cost latency": lambda d: ["cost", "--latency-ms", "10", "--instance", "c5.large", "--qps", "10"],
    "cost results": lambda d: (_image_records(d), ["cost", "--results", str(d), "--price-per-hour", "0.1"])[1],
    "simulate image": lambda d: (_image_records(d), ["simulate", "--results", str(d), "--model", "resnet50",
                                                     "--qps", "20", "--slo-ms", "100", "--price-per-hour", "0.1"])[1],
    "simulate generation": lambda d: (_generation_records(d), ["simulate", "--results", str(d), "--model", "gpt2",
                                                               "--qps", "2", *GEN, "--price-per-hour", "1"])[1],
    "recommend image": lambda d: ["recommend", "--model", "resnet50", "--resolution", "64", "--slo-ms", "100",
                                  "--precision", "fp32", "--providers", "gcp", "--qps", "50"],
    "recommend generation": lambda d: ["recommend", "--model", "gpt2", "--qps", "2", *GEN, "--providers", "gcp",
                                       "--precision", "fp32"],
    "loadtest image": lambda d: ["loadtest", "edsr", "--resolution", "16", "--qps", "20", "--duration", "1s"],
    "loadtest generation": lambda d: ["loadtest", _tiny_causal(d), "--qps", "20", "--prompt-len", "4:8",
                                      "--output-len", "3", "--max-batch", "2", "--duration", "1s"],
}
SLOW = {"loadtest image", "loadtest generation", "recommend image", "recommend generation"}


def _golden() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in COMMANDS])
def test_json_output_keeps_its_keys(name, tmp_path):
    result = CliRunner().invoke(cli, [*COMMANDS[name](tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    found = shape(json.loads(result.output))
    if os.environ.get("INFERCOST_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps({**_golden(), name: found}, indent=1, sort_keys=True) + "\n")
    assert found == _golden()[name]
