"""`infercost study`: build or read a plan, run it resumably with progress, then fits, figures and a summary."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from infercost.commands.bench import with_peak
from infercost.errors import UsageError
from infercost.probe import cached_probe
from infercost.results.store import ResultsStore, machine_id
from infercost.runner import Runner, parse_size
from infercost.study.execute import Outcome, run_plan
from infercost.study.fits import fits
from infercost.study.plan import Plan, build_plan
from infercost.study.summary import summarize_models
from infercost.timing import TimerConfig
from infercost.view.progress import progress_bar


def parse_duration(text: str | None) -> float | None:
    """'10m' -> 600; '90s', '1h', '1h30m' and plain seconds too."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not match or not any(match.groups()):
        raise UsageError(f"duration {text!r} does not parse; use e.g. 10m, 90s or 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise UsageError(f"duration {text!r} must be positive")
    return total


@dataclass
class StudyResult:
    plan: Plan
    outcome: Outcome
    out_dir: Path
    summary: list[dict]
    fits: list
    figures: list[Path]
    fits_path: Path


def make_plan(plan_file: str | None, profile: str, models: list[str], backends: list[str], precisions: list[str],
              device: str) -> Plan:
    if plan_file:
        return Plan.from_yaml(plan_file)
    return build_plan(profile, models or None, backends or None, precisions or None, device)


def run_study(plan: Plan, out_dir: str, time_budget: str | None = None, memory_limit: str | None = None,
              timeout: float = 600.0, progress: bool = True, probe: bool = True) -> StudyResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.yaml").write_text(plan.to_yaml())
    store = ResultsStore(out)
    config = TimerConfig(min_time_s=plan.min_time_s, max_time_s=plan.max_time_s)
    runner = Runner(config, timeout_s=timeout, memory_limit_bytes=parse_size(memory_limit) if memory_limit else None)
    devices = {ladder.device for ladder in plan.ladders}
    probes = {d: cached_probe(d) if probe and d.partition(":")[0] in ("cpu", "cuda") else None for d in devices}
    cases = plan.cases()
    with progress_bar(len(cases), enabled=progress, plain=progress) as bar:
        outcome = run_plan(plan, store, lambda case: with_peak(runner.run(case), probes.get(case.device)),
                           on_start=lambda c: bar.start(f"{c.model} {c.backend} {c.precision} b{c.batch_size} "
                                                        f"{c.width}x{c.height}"),
                           on_done=bar.done, time_budget_s=parse_duration(time_budget))
    return finish(out, plan, outcome)


def run_cluster_study(plan: Plan, out_dir: str, address: str, targets: str | None = None,
                      deadline: str | None = None, time_budget: str | None = None, memory_limit: str | None = None,
                      timeout: float = 600.0, progress: bool = True, probe: bool = True) -> StudyResult:
    """The plan on every node kind of a Ray cluster (or those in `targets`); results stream into one directory."""
    from infercost.cluster import ClusterRun, parse_targets
    from infercost.cluster.ray_bridge import RayWork, cluster_nodes, connect, connected
    from infercost.results.record import new_run_id

    deadline_s = parse_duration(deadline) or timeout + 120.0
    budget_s = parse_duration(time_budget)
    started_here = not connected()
    ray = connect(address)
    try:
        nodes = cluster_nodes(ray)
        kinds = parse_targets(targets, nodes)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.yaml").write_text(plan.to_yaml())
        options = {"timer": asdict(TimerConfig(min_time_s=plan.min_time_s, max_time_s=plan.max_time_s)),
                   "timeout_s": timeout, "memory_limit_bytes": parse_size(memory_limit) if memory_limit else None,
                   "run_id": new_run_id()}
        work = RayWork(ray, options, deadline_s, probe)
        with progress_bar(len(plan.cases()) * len(kinds), enabled=progress, plain=progress) as bar:
            run = ClusterRun(plan, ResultsStore(out), kinds, nodes, work, time_budget_s=budget_s,
                             on_start=lambda c: bar.start(f"{c.model} {c.backend} {c.precision} b{c.batch_size} "
                                                          f"{c.width}x{c.height}"), on_done=bar.done)
            outcome = run.run()
    finally:
        if started_here:
            ray.shutdown()
    names = {k.name for k in kinds}
    return finish(out, plan, outcome, lambda r: r.env.get("node_kind") in names)


def finish(out: Path, plan: Plan, outcome: Outcome, mine=None) -> StudyResult:
    """Fits, figures and the summary, from what is stored (this machine's records, or those `mine` accepts)."""
    from infercost.env import fingerprint
    from infercost.report.figures import draw_all

    here = machine_id(fingerprint())
    mine = mine or (lambda r: machine_id(r.env) == here)
    records = [r for r in ResultsStore(out).records() if mine(r)]
    found = fits(records)
    fits_path = out / "fits.json"
    fits_path.write_text(json.dumps([f.model_dump() for f in found], indent=2))
    figures = draw_all(records, found, out / "figures")
    return StudyResult(plan, outcome, out, summarize_models(records), found, figures, fits_path)
