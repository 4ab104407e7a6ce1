"""The published corpus and the predictor calibrated on it: loading, mapping, fitting, bands, the CLI."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from infercost.cli import cli
from infercost.errors import UsageError
from infercost.predict.corpus import COLUMNS, Point, Row, load_rows, usable
from infercost.predict.corpus_roofline import Chip, Design, Params, Shape, borrow_unseen, fit
from infercost.predict.published import _key, calibration, shipped_path


def test_the_shipped_corpus_loads_with_its_sources_and_maps_onto_profiles():
    rows = load_rows()
    assert len(rows) == 5137 and all(r.source_url.startswith("http") for r in rows)
    points, skipped = usable(rows)
    assert len(points) > 700 and skipped["model bert-large not profiled"] > 1000
    assert {p.model for p in points} >= {"resnet50", "torchvision:resnet152", "torchvision:vgg16",
                                          "torchvision:inception_v3", "torchvision:efficientnet_b0",
                                          "torchvision:alexnet"}
    assert {p.chip for p in points} >= {"K80", "M60", "V100", "T4", "A100-40GB", "Xeon Skylake"}
    assert all(p.seconds > 0 and p.batch >= 1 for p in points)


def test_a_bad_row_names_its_file_and_line(tmp_path):
    path = tmp_path / "mine.csv"
    good = "T4,,TensorRT 8,resnet50,int8,1,224x224,latency_ms_mean,1.5,ms,singlestream,https://x,field"
    path.write_text(",".join(COLUMNS) + "\n" + good + "\n" + good.replace(",1.5,", ",fast,") + "\n")
    with pytest.raises(UsageError, match=r"mine.csv:3: value 'fast' is not a positive number"):
        load_rows(path)
    result = CliRunner().invoke(cli, ["predict", "resnet50", "--accelerator", "T4", "--published", str(path)])
    assert result.exit_code == 2 and "mine.csv:3" in result.output


def _point(chip: str, batch: int, precision: str = "fp32", stack: str = "torch", seconds: float = 1.0) -> Point:
    row = Row(0, chip, "", stack, "resnet50", precision, str(batch), "64x64", "throughput_per_s", 1.0, "", "",
              f"https://source/{chip}", "")
    return Point(row, "resnet50", chip, stack, precision, batch, 64, 64, seconds)


CHIPS = {"old": Chip("old", "gpu", "Pascal", {"fp32": 10e12, "fp16": 20e12}, 700e9),
         "mid": Chip("mid", "gpu", "Turing", {"fp32": 8e12, "fp16": 65e12}, 320e9),
         "new": Chip("new", "gpu", "Ampere", {"fp32": 20e12, "fp16": 300e12}, 1500e9)}


def test_the_fit_recovers_the_times_it_was_made_from():
    truth = Params({"c:gpu": math.log(0.4), "m:gpu": math.log(0.6), "o:gpu:eager": math.log(30e-6),
                    "o:gpu:compiled": math.log(5e-6), "h:gpu": math.log(4.0), "t:eager": 0.0, "t:compiled": 2.0,
                    "cg:Pascal": -0.3, "cs:tensorrt": 0.4})
    points = [_point(c, b, p, s) for c in CHIPS for b in (1, 8, 64) for p in ("fp32", "fp16")
              for s in ("torch", "tensorrt")]
    shapes = {("resnet50", 64, 64, None): Shape.of("resnet50", 64, 64)}
    made = Design(points, CHIPS, shapes).predict(truth)
    points = [_point(p.chip, p.batch, p.precision, p.stack, float(t)) for p, t in zip(points, made, strict=True)]
    found = Design(points, CHIPS, shapes).predict(fit(points, CHIPS, shapes))
    assert max(abs(f / t - 1) for f, t in zip(found, made, strict=True)) < 0.05


def test_an_unseen_generation_borrows_from_its_neighbours_and_says_so():
    params = Params({"cg:Pascal": -0.4, "cg:Ampere": 0.2}, {"Pascal": 10, "Ampere": 10})
    used, note = borrow_unseen(params, "Turing", "gpu")
    assert used.get("cg:Turing") == pytest.approx(-0.1) and "Pascal and Ampere" in note
    assert borrow_unseen(params, "Ampere", "gpu") == (params, None)


def test_the_shipped_calibration_matches_the_corpus_and_the_code():
    """Regenerate with: python -c 'from infercost.predict.published import write_shipped; write_shipped()'."""
    assert json.loads(shipped_path().read_text())["key"] == _key(None)


def test_predict_names_the_calibration_that_served_it():
    result = CliRunner().invoke(cli, ["predict", "resnet50", "--accelerator", "T4", "--batch", "8", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["calibration"]["generation"] == "Turing" and data["calibration"]["generation_rows"] > 50
    assert data["stack"] in ("tensorrt", "torch", "tensorflow", "mxnet")
    assert data["latency_low_s"] < data["latency_s"] < data["latency_high_s"]
    torch = json.loads(CliRunner().invoke(cli, ["predict", "resnet50", "--accelerator", "T4", "--batch", "8",
                                                "--backend", "torch", "--json"]).output)
    assert torch["stack"] == "torch" and torch["latency_s"] >= data["latency_s"]  # auto picks the fastest
    h100 = json.loads(CliRunner().invoke(cli, ["predict", "resnet50", "--accelerator", "H100", "--json"]).output)
    assert h100["calibration"]["pool"] == "generation unseen" and "Hopper" in h100["note"]


def test_calibration_is_the_shipped_one_without_a_fit():
    assert calibration().key == _key(None)


@pytest.mark.slow
def test_validate_published_reports_every_group_and_the_band_coverage():
    result = CliRunner().invoke(cli, ["predict", "--validate-published", "--hold-out", "generation", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"hold_out", "points", "groups", "median_error", "p90_error", "band_coverage", "by_group"} <= set(data)
    assert data["hold_out"] == "generation" and "Kepler" in data["by_group"] and data["points"] > 700
    assert 0 <= data["band_coverage"] <= 1


def test_a_study_of_yours_joins_the_corpus(tmp_path):
    from infercost.case import Case
    from infercost.env import fingerprint
    from infercost.predict.corpus import study_points
    from infercost.predict.corpus_roofline import chips_from
    from infercost.pricing import load_catalog
    from infercost.results import Record, ResultsStore

    store = ResultsStore(tmp_path)
    env = {**fingerprint(), "cpu_model": "AMD EPYC 9R14", "isa_flags": ["avx2", "avx512f"], "cpu_cores": 4}
    for batch in (1, 4):
        store.append(Record.for_case(Case("edsr", batch_size=batch, height=32, width=32), run_id="t", status="ok",
                                     env=env, timing={"method": "adaptive"}).with_samples([0.01 * batch] * 5))
    store.append(Record.for_case(Case("edsr", batch_size=8, height=32, width=32), run_id="t", status="oom", env=env))
    points, skipped = study_points(tmp_path, chips_from(load_catalog()))
    assert [(p.chip, p.cores, p.batch, p.seconds) for p in points] == [("EPYC Genoa", 4, 1, 0.01),
                                                                      ("EPYC Genoa", 4, 4, 0.04)]
    assert skipped == {"not ok": 1} and points[0].model == "edsr" and points[0].stack == "torch"


def test_a_token_model_is_predicted_at_its_sequence_length():
    from click.testing import CliRunner

    from infercost.cli import cli

    found = {}
    for seq in (64, 256):
        result = CliRunner().invoke(cli, ["predict", "bert-base", "--accelerator", "A10G", "--seq-len", str(seq),
                                          "--json"])
        assert result.exit_code == 0, result.output
        found[seq] = json.loads(result.output)
        assert found[seq]["seq_len"] == seq and found[seq]["height"] is None
    assert found[256]["latency_s"] > 3 * found[64]["latency_s"]  # four times the tokens, and attention grows faster
    refused = CliRunner().invoke(cli, ["predict", "resnet50", "--accelerator", "A10G", "--seq-len", "64"])
    assert refused.exit_code == 2 and "takes images" in refused.output
