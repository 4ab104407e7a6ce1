"""`infercost study`: build or read a plan, run it resumably with progress, then fits, figures and a summary.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from infercost.pricing.catalog import cpu_ceiling
from infercost.probe import device_probe, with_peak
from infercost.results.store import ResultsStore, machine_id
from infercost.runner import Runner, RunOptions
from infercost.serving.answer import Asked
from infercost.study.execute import Outcome, run_plan
from infercost.study.fits import fits
from infercost.study.plan import Plan, build_plan
from infercost.study.summary import summarize_models
from infercost.textfiles import one_line
from infercost.timing import TimerConfig
from infercost.view.progress import progress_bar


@dataclass
class StudyResult:
    plan: Plan
    outcome: Outcome
    out_dir: Path
    summary: list[dict]
    fits: list
    figures: list[Path]
    fits_path: Path
    summary_path: Path
    report_path: Path | None = None
    failures: list[str] = field(default_factory=list)  # late steps that failed, one line each; the results stand


def make_plan(plan_file: str | None, profile: str, models: list[str], *, backends: list[str], precisions: list[str],
              device: str) -> Plan:
    if plan_file:
        return Plan.from_yaml(plan_file)
    return build_plan(profile, models or None, backends or None, precisions=precisions or None, device=device)


def _options(plan: Plan, options: RunOptions | None) -> RunOptions:
    """The run options with the plan's own timing (a study's profile sets how long each point is timed)."""
    return (options or RunOptions()).with_(timer=TimerConfig(min_time_s=plan.min_time_s, max_time_s=plan.max_time_s))


# The default study (--depth quick) fits ten minutes, report included: its points get this long, and a point that
# would not fit what is left is recorded as skipped with its predicted time (study/execute.py). --time-budget
# overrides it.
QUICK_BUDGET_S = 600.0
REPORT_RESERVE_S = 90.0  # the fits, figures, answers and HTML after measuring (about 30 s on a 2-core VM)


def measuring_budget_s(plan: Plan, time_budget_s: float | None) -> float | None:
    """Seconds for measuring: the budget given, else a quick study's ten minutes less the report's share."""
    if time_budget_s is not None:
        return time_budget_s
    return QUICK_BUDGET_S - REPORT_RESERVE_S if plan.profile == "quick" else None


def run_study(plan: Plan, out_dir: str, options: RunOptions | None = None, *, time_budget_s: float | None = None,
              progress: bool = True, probe: bool = True, asked: Asked | None = None) -> StudyResult:
    """Run the plan here, resumably, then fits, summary, figures and the report (see finish). A quick plan
    measures within its default budget (measuring_budget_s) unless `time_budget_s` is given."""
    time_budget_s = measuring_budget_s(plan, time_budget_s)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.yaml").write_text(plan.to_yaml())
    store = ResultsStore(out)
    runner = Runner(_options(plan, options))
    probes = {device: device_probe(device, probe, cpu_ceiling) for device in {ladder.device for ladder in plan.ladders}}
    with progress_bar(len(plan.cases()), enabled=progress, plain=progress) as bar:
        outcome = run_plan(plan, store, lambda case: with_peak(runner.run(case), probes.get(case.device)),
                           on_start=lambda c: bar.start(c.label), on_done=bar.done, time_budget_s=time_budget_s)
    return finish(out, plan, outcome, asked=asked, progress=progress)


@dataclass(frozen=True)
class ClusterSpec:
    """Where a cluster study runs: the Ray address (or auto), the node kinds (None: all), a per-case deadline."""

    address: str
    targets: str | None = None
    deadline_s: float | None = None  # None: the time-out plus two minutes


def run_cluster_study(plan: Plan, out_dir: str, cluster: ClusterSpec, *, options: RunOptions | None = None,
                      time_budget_s: float | None = None, progress: bool = True, probe: bool = True,
                      asked: Asked | None = None) -> StudyResult:
    """The plan on every node kind of a Ray cluster (or those in `targets`); results stream into one directory."""
    from infercost.cluster import ClusterRun, parse_targets
    from infercost.cluster.ray_bridge import RayWork, cluster_nodes, connect, connected

    options = _options(plan, options)
    deadline_s = cluster.deadline_s or options.timeout_s + 120.0
    started_here = not connected()
    ray = connect(cluster.address)
    try:
        nodes = cluster_nodes(ray)
        kinds = parse_targets(cluster.targets, nodes)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.yaml").write_text(plan.to_yaml())
        work = RayWork(ray, options.to_dict(), deadline_s, probe)
        with progress_bar(len(plan.cases()) * len(kinds), enabled=progress, plain=progress) as bar:
            run = ClusterRun(plan, ResultsStore(out), kinds, nodes, work, time_budget_s=time_budget_s,
                             on_start=lambda c: bar.start(c.label), on_done=bar.done)
            outcome = run.run()
    finally:
        if started_here:
            ray.shutdown()
    names = {k.name for k in kinds}
    return finish(out, plan, outcome, mine=lambda r: r.env.get("node_kind") in names, asked=asked, progress=progress)


def finish(out: Path, plan: Plan, outcome: Outcome, *, mine=None, report: bool = True,
           asked: Asked | None = None, progress: bool = False) -> StudyResult:
    """Fits, summary.md, figures and the report (answering for the traffic `asked`), from what is stored (this
    machine's records, or those `mine` accepts). Each late step that fails is one line in `failures`: the
    measurements and the fits stay written. Every stage shows in the progress display, as the points did."""
    from infercost.commands.report import report_steps
    from infercost.env import fingerprint
    from infercost.view.progress import progress_bar

    here = machine_id(fingerprint())
    mine = mine or (lambda r: machine_id(r.env) == here)
    records = [r for r in ResultsStore(out).records() if mine(r)]
    with progress_bar(2 + (report_steps(records) if report else 0), enabled=progress, plain=progress) as bar:
        return _finish(out, plan, outcome, records, report, asked, bar)


def _finish(out: Path, plan: Plan, outcome: Outcome, records, report: bool, asked, bar) -> StudyResult:
    bar.start("fits")
    found = fits(records)
    fits_path = out / "fits.json"
    fits_path.write_text(json.dumps([f.model_dump() for f in found], indent=2))
    result = StudyResult(plan, outcome, out, summarize_models(records), found, [], fits_path, out / "summary.md")
    bar.step("fits")
    bar.start("figures")
    try:
        from infercost.report.figures import draw_all

        result.figures = draw_all(records, found, out / "figures")
    except Exception as exc:  # a late step never loses the measurements; the user is told how to retry
        result.failures.append(f"the figures could not be drawn ({one_line(exc)})")
    bar.step("figures")
    before = _mtime(result.summary_path)
    if report:
        try:
            from infercost.commands.report import make_report

            result.report_path, result.summary_path = make_report(str(out), asked=asked, bar=bar)
        except Exception as exc:
            result.failures.append(f"the report could not be written ({one_line(exc)})")
    if _mtime(result.summary_path) == before:  # the report step failed before it, or was not asked for
        from infercost.report.html import summary_markdown

        reason = result.failures[-1] if result.failures else "not asked for"
        result.summary_path.write_text(summary_markdown(records, (), f"No answer: {reason}."), encoding="utf-8")
    return result


def _mtime(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


def measure_command(case, out_dir) -> str:
    """The bench command that measures one point a study left out, into the study's directory."""
    options = dict(case.options)
    size = f"--seq-len {options['dims'].partition('seq=')[2]}" if "seq=" in str(options.get("dims") or "") else \
        f"--resolution {case.width}x{case.height}" if case.height else ""
    output = f" --output-len {options['output_len']}" if options.get("output_len") else ""
    size = size.replace("--seq-len", "--prompt-len") if output else size
    return (f"infercost bench {case.model} --backend {case.backend} --precision {case.precision} "
            f"--device {case.device} --batch {case.batch_size} {size}{output} --out {out_dir}").replace("  ", " ")
