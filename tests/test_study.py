"""The study: ladders stop at the first out-of-memory point, resume skips what is done, budgets, fits, files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from infercost.case import Case
from infercost.cli import cli
from infercost.env import fingerprint
from infercost.errors import ResultsError, UsageError
from infercost.results import Record, ResultsStore, load_records
from infercost.results.export import export, merge
from infercost.study.execute import run_plan
from infercost.study.fits import fits, linear_fit
from infercost.study.plan import Ladder, Plan, build_plan
from infercost.units import parse_duration


def fake_run(oom_from_batch: int = 10**9, latency_per_image: float = 0.01, calls: list | None = None):
    def run(case: Case) -> Record:
        if calls is not None:
            calls.append(case)
        if case.batch_size >= oom_from_batch:
            return Record.for_case(case, run_id="t", status="oom", error="out of memory", env=fingerprint())
        latency = 0.002 + latency_per_image * case.batch_size * case.megapixels / 0.05
        return Record.for_case(case, run_id="t", status="ok", env=fingerprint(),
                               timing={"method": "adaptive"}).with_samples([latency] * 5)
    return run


def plan_of(*ladders: Ladder, budget: float = 100.0) -> Plan:
    return Plan(ladders=list(ladders), point_budget_s=budget)


def test_ladder_stops_at_first_oom_and_records_the_rest_as_skipped(tmp_path):
    calls = []
    store = ResultsStore(tmp_path)
    ladder = Ladder(model="vgg19", batches=[1, 2, 4, 8, 16], resolutions=[224])
    outcome = run_plan(plan_of(ladder), store, fake_run(oom_from_batch=4, calls=calls))
    assert [c.batch_size for c in calls] == [1, 2, 4]
    statuses = [(r.batch_size, r.status) for r in load_records(tmp_path)]
    assert statuses == [(1, "ok"), (2, "ok"), (4, "oom"), (8, "skipped"), (16, "skipped")]
    assert "first out of memory point (batch 4" in load_records(tmp_path)[-1].error
    assert len(outcome.measured) == 5


def test_too_slow_point_ends_the_ladder(tmp_path):
    calls = []
    ladder = Ladder(model="unet", batches=[1], resolutions=[128, 256, 512, 1000])
    run_plan(plan_of(ladder, budget=0.05), ResultsStore(tmp_path), fake_run(calls=calls))
    assert [c.height for c in calls] == [128, 256, 512]  # 512 takes 54 ms, over the 50 ms budget
    assert load_records(tmp_path)[-1].status == "skipped"


def test_resume_skips_done_points_with_no_duplicates(tmp_path):
    store = ResultsStore(tmp_path)
    ladder = Ladder(model="resnet50", batches=[1, 2, 4, 8], resolutions=[64])
    first = []
    run_plan(plan_of(Ladder(model="resnet50", batches=[1, 2], resolutions=[64])), store, fake_run(calls=first))
    with open(store.path, "a") as fh:
        fh.write('{"schema": "infercost.result/1", "case_id": "torn')  # killed mid-write of batch 4
    second = []
    outcome = run_plan(plan_of(ladder), store, fake_run(calls=second))
    assert [c.batch_size for c in second] == [4, 8]
    assert outcome.resumed == 2
    batches = [r.batch_size for r in load_records(tmp_path)]
    assert sorted(batches) == [1, 2, 4, 8]


def test_resume_respects_an_earlier_oom(tmp_path):
    store = ResultsStore(tmp_path)
    ladder = Ladder(model="vgg19", batches=[1, 2, 4], resolutions=[224])
    run_plan(plan_of(Ladder(model="vgg19", batches=[1, 2], resolutions=[224])), store, fake_run(oom_from_batch=2))
    calls = []
    run_plan(plan_of(ladder), store, fake_run(calls=calls))
    assert calls == []
    assert [r.status for r in load_records(tmp_path)] == ["ok", "oom", "skipped"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def timed_run(clock: FakeClock, seconds, calls: list | None = None):
    """fake_run, each point taking seconds(case) on the fake clock."""
    inner = fake_run(calls=calls)

    def run(case: Case) -> Record:
        clock.now += seconds(case)
        return inner(case)
    return run


def test_time_budget_with_a_fake_clock(tmp_path):
    clock = FakeClock()
    ladder = Ladder(model="resnet50", batches=[1, 2, 4, 8], resolutions=[64])
    calls = []
    outcome = run_plan(plan_of(ladder), ResultsStore(tmp_path), timed_run(clock, lambda c: 1.0, calls),
                       time_budget_s=2.5, clock=clock)
    assert [c.batch_size for c in calls] == [1, 2]
    assert [c.batch_size for c, _ in outcome.skipped] == [4, 8]
    first, then = (why for _, why in outcome.skipped)
    assert first.startswith("would not fit the study's time budget: about 1 s predicted from the ladder so far")
    assert then.startswith("would not fit the study's time budget: larger than b4 64x64")


def test_a_point_predicted_past_the_budget_is_recorded_and_a_later_run_measures_it(tmp_path):
    """After the first point of a ladder, the next point's time is predicted from the ladder so far."""
    clock = FakeClock()
    store = ResultsStore(tmp_path)
    ladder = Ladder(model="resnet50", batches=[1, 2, 4, 8], resolutions=[64])
    plan = plan_of(ladder)

    def latency(case: Case) -> float:  # as fake_run's, at one second per image
        return 0.002 + case.batch_size * case.megapixels / 0.05

    def seconds(case: Case) -> float:  # a second's overhead, then timed as the plan times a point
        return 1.0 + min(plan.max_time_s, max(plan.min_time_s, 10 * latency(case))) + 3 * latency(case)

    calls = []
    inner = fake_run(latency_per_image=1.0, calls=calls)

    def run(case: Case) -> Record:
        clock.now += seconds(case)
        return inner(case)

    run_plan(plan, store, run, time_budget_s=7.0, clock=clock)
    assert [c.batch_size for c in calls] == [1, 2]
    left = [r for r in load_records(tmp_path) if r.status == "skipped"]
    assert [r.batch_size for r in left] == [4, 8]
    assert f"about {seconds(left[0].case):.0f} s predicted from the ladder so far" in left[0].error
    again = []
    outcome = run_plan(plan, store, fake_run(calls=again))
    assert [c.batch_size for c in again] == [4, 8] and outcome.resumed == 2


def test_the_command_for_a_point_left_out_measures_it_alone():
    from infercost.commands.study import measure_command

    case = Case("unet", backend="onnxruntime", precision="int8", batch_size=4, height=256, width=256)
    assert measure_command(case, "out") == ("infercost bench unet --backend onnxruntime --precision int8 "
                                            "--device cpu --batch 4 --resolution 256x256 --out out")


def test_linear_fit_is_exact_on_a_line():
    intercept, slope, r2 = linear_fit([1, 2, 4, 8], [0.5 + 0.25 * x for x in [1, 2, 4, 8]])
    assert intercept == pytest.approx(0.5) and slope == pytest.approx(0.25) and r2 == pytest.approx(1.0)


def test_fits_per_model_and_axis(tmp_path):
    store = ResultsStore(tmp_path)
    run_plan(plan_of(Ladder(model="resnet50", batches=[1, 2, 4, 8], resolutions=[64]),
                     Ladder(model="edsr", batches=[1], resolutions=[64, 128, 256])), store, fake_run())
    found = {(f.model, f.x): f for f in fits(store.records())}
    assert found[("resnet50", "batch_size")].r2 == pytest.approx(1.0)
    assert found[("edsr", "megapixels")].slope_s == pytest.approx(0.01 / 0.05)


def test_plan_yaml_round_trip(tmp_path):
    plan = build_plan("quick", flags=["avx512_bf16"])
    assert {ladder.model for ladder in plan.ladders} == {"vgg19", "resnet50", "unet", "edsr"}
    path = tmp_path / "plan.yaml"
    path.write_text(plan.to_yaml())
    assert "schema: infercost.plan/1" in path.read_text()
    again = Plan.from_yaml(path)
    assert [c.case_id for c in again.cases()] == [c.case_id for c in plan.cases()]


def test_bad_plan_file_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("ladders:\n  - model: vgg19\n    batches: [one]\n    resolutions: [224]\n")
    result = CliRunner().invoke(cli, ["study", "--plan", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "batches" in result.output


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("90s", 90), ("1h30m", 5400), ("45", 45)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "0s", "m"])
def test_parse_duration_rejects(text):
    with pytest.raises(UsageError):
        parse_duration(text)


@pytest.mark.slow
def test_export_formats(tmp_path):
    store = ResultsStore(tmp_path / "r")
    run_plan(plan_of(Ladder(model="resnet50", batches=[1, 2], resolutions=[64])), store, fake_run())
    assert export(tmp_path / "r", "csv", tmp_path / "o.csv") == 2
    import pandas as pd

    frame = pd.read_csv(tmp_path / "o.csv")
    assert {"stats.median_s", "stats.p99_s", "machine_id", "batch_size"} <= set(frame.columns)
    export(tmp_path / "r", "jsonl", tmp_path / "o.jsonl")
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2
    pytest.importorskip("pyarrow")
    export(tmp_path / "r", "parquet", tmp_path / "o.parquet")
    assert len(pd.read_parquet(tmp_path / "o.parquet")["samples_s"][0]) == 5


def _other_machine(record: Record, **env) -> Record:
    return record.model_copy(update={"env": {**record.env, **env}})


def test_merge_keeps_machines_apart_and_refuses_conflicts(tmp_path):
    a, b, c = (ResultsStore(tmp_path / n) for n in "abc")
    run_plan(plan_of(Ladder(model="resnet50", batches=[1], resolutions=[64])), a, fake_run())
    record = a.records()[0]
    b.append(_other_machine(record, cpu_model="Other CPU", host="b"))
    counts = merge([a.directory, b.directory], tmp_path / "m")
    assert sorted(counts.values()) == [1, 1]
    c.append(_other_machine(record, host="renamed", run_id="x").model_copy(update={"run_id": "other"}))
    with pytest.raises(ResultsError, match="different fingerprints"):
        merge([a.directory, c.directory], tmp_path / "m2")


@pytest.mark.slow
def test_study_cli_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path / "cache"))
    plan = Plan(min_time_s=0.0, max_time_s=0.1, ladders=[
        Ladder(model="edsr", batches=[1], resolutions=[16, 24, 32]),
        Ladder(model="torchvision:squeezenet1_1", batches=[1, 2, 4], resolutions=[32])])
    (tmp_path / "plan.yaml").write_text(plan.to_yaml())
    args = ["study", "--plan", str(tmp_path / "plan.yaml"), "--out", str(tmp_path / "s"), "--no-probe", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["measured"] == 6 and {row["model"] for row in data["summary"]} == {
        "edsr", "torchvision:squeezenet1_1"}
    for name in ("throughput_vs_batch", "batch1_latency", "latency_vs_megapixels"):
        assert (tmp_path / "s" / "figures" / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / "s" / "figures" / f"{name}.svg").exists()
    assert json.loads((tmp_path / "s" / "fits.json").read_text())
    again = json.loads(CliRunner().invoke(cli, args).output)
    assert again["measured"] == 0 and again["resumed"] == 6


@pytest.mark.slow
def test_a_study_whose_report_fails_keeps_its_results_and_says_how_to_retry(tmp_path, monkeypatch):
    import infercost.commands.report
    import infercost.report.figures

    def no_plotly(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'plotly'")

    def no_figures(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(infercost.commands.report, "build_report", no_plotly)
    monkeypatch.setattr(infercost.report.figures, "draw_all", no_figures)
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_of(Ladder(model="edsr", batches=[1], resolutions=[16])).model_copy(
        update={"min_time_s": 0.0, "max_time_s": 0.1}).to_yaml())
    out = tmp_path / "study"
    result = CliRunner().invoke(cli, ["study", "--plan", str(plan), "--out", str(out), "--no-probe"])
    assert result.exit_code == 1, result.output
    message = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # progress lines aside
    assert len(message) == 1 and "plotly" in message[0] and "disk full" in message[0]
    assert f"infercost report {out}" in message[0]
    assert [r.status for r in load_records(out)] == ["ok"]
    assert (out / "fits.json").exists() and not (out / "report.html").exists()
    assert "| edsr | torch fp32 |" in (out / "summary.md").read_text()  # written before the page that failed


def test_a_token_model_climbs_a_sequence_ladder_and_its_fit_reports_the_quadratic_term():
    plan = build_plan("quick", models=["bert-base", "resnet50"], backends=["torch"], precisions=["fp32"],
                      flags=[])
    bert = [c for c in plan.cases() if c.model == "bert-base"]
    assert [c.seq_len(0) for c in bert] == [32, 64, 128, 256] and all(c.batch_size == 1 for c in bert)
    image = [c for c in plan.cases() if c.model == "resnet50"]
    assert all(c.options == () for c in image)  # image cases keep their ids
    records = [Record.for_case(c, run_id="t", status="ok", env=fingerprint(), timing={"method": "adaptive"})
               .with_samples([0.001 + 1e-5 * c.seq_len(0) + 2e-7 * c.seq_len(0) ** 2] * 3) for c in bert]
    (fit,) = [f for f in fits(records) if f.x == "tokens"]
    assert fit.quadratic_s == pytest.approx(2e-7, rel=1e-3) and fit.r2 > fit.linear_r2
    assert fit.fixed == "batch 1" and records[0].size_label == "seq 32"
