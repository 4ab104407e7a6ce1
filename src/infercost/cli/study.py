"""`infercost study`: the four architectures across batch sizes, megapixels and precisions, then the report.

CLI layer (cli).
"""

from __future__ import annotations

from pathlib import Path

import click

from infercost import cli_params as p
from infercost.cli.base import cli, deprecated, fail, handled, out, print_json, traffic_options
from infercost.errors import UsageError


@cli.command()
@click.option("--depth", type=click.Choice(["quick", "standard", "full"]), default="quick", show_default=True,
              help="quick: all four models in minutes; standard and full go further.")
@click.option("--profile", type=click.Choice(["quick", "standard", "full"]), default=None, hidden=True,
              help="Deprecated spelling of --depth.")
@click.option("--models", default=None, help="Models, comma-separated (default: vgg19,resnet50,unet,edsr).")
@click.option("--backends", default=None, help="Backends, comma-separated (default: by profile).")
@click.option("--precisions", default=None, help="Precisions, comma-separated (default: by profile).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option("--plan", "plan_file", default=None, help="Run a plan from a YAML file instead.")
@click.option("--write-plan", default=None, help="Write the plan to this YAML file and stop.")
@click.option("--out", "out_dir", default="infercost-study", show_default=True, help="Results directory.")
@click.option("--time-budget", type=p.Duration(), default=None,
              help="Stop starting new points after this long, e.g. 10m.")
@click.option("--memory-limit", type=p.Size(), default=None, help="Cap each point's memory, e.g. 2GiB.")
@click.option("--timeout", type=p.TIMEOUT_S, default=600.0, show_default=True, help="Seconds before a point is killed.")
@click.option("--no-probe", is_flag=True, help="Don't measure the device's ceiling for fraction_of_peak.")
@click.option("--cluster", default=None, help="Run on a Ray cluster: its address, or auto (needs infercost[cluster]).")
@click.option("--targets", default=None,
              help="Node kinds to run on: accelerator types, custom resources or key=value labels (default: all).")
@click.option("--deadline", type=p.Duration(), default=None,
              help="Per-case deadline on a cluster, e.g. 15m (default: time-out + 2m).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@traffic_options
@handled
def study(depth: str, profile: str | None, models: str | None, backends: str | None, precisions: str | None,
          device: str, plan_file: str | None, write_plan: str | None, out_dir: str, time_budget: float | None,
          memory_limit: int | None, timeout: float, no_probe: bool, cluster: str | None, targets: str | None,
          deadline: float | None, as_json: bool, asked) -> None:
    """Measure the four architectures across batch sizes, megapixels and precisions; resumable."""
    from infercost.case import validate_device
    from infercost.commands.study import ClusterSpec, make_plan, measure_command, run_cluster_study, run_study
    from infercost.grid import split_list
    from infercost.runner import RunOptions

    if not cluster:
        validate_device(device)
    if (targets or deadline) and not cluster:
        raise UsageError("--targets and --deadline go with --cluster")
    depth = deprecated("--profile", "--depth", profile) or depth
    plan = make_plan(plan_file, depth, split_list(models), backends=split_list(backends),
                     precisions=split_list(precisions), device=device)
    if write_plan:
        Path(write_plan).write_text(plan.to_yaml())
        return out.print(f"plan with {len(plan.cases())} points written to {write_plan}")
    options = RunOptions(timeout_s=timeout, memory_limit_bytes=memory_limit)
    if cluster:
        result = run_cluster_study(plan, out_dir, ClusterSpec(cluster, targets, deadline), options=options,
                                   time_budget_s=time_budget,
                                   progress=not as_json, probe=not no_probe, asked=asked)
    else:
        result = run_study(plan, out_dir, options, time_budget_s=time_budget, progress=not as_json, probe=not no_probe,
                           asked=asked)
    if as_json:
        print_json({"summary": result.summary, "fits": [f.model_dump() for f in result.fits],
                     "out": str(result.out_dir), "report": str(result.report_path) if result.report_path else None,
                     "failures": result.failures, "measured": len(result.outcome.recorded),
                     "resumed": result.outcome.resumed, "skipped_over_budget": len(result.outcome.skipped)})
        return _late_failures(result)
    from infercost.report.tables import fits_table, study_summary_table

    out.print(study_summary_table(result.summary))
    out.print(fits_table(result.fits))
    outcome = result.outcome
    reused = (f", {outcome.resumed} reused from records already there (an earlier run's, or a point that two "
              f"ladders share)") if outcome.resumed else ""
    out.print(f"{len(outcome.recorded)} points recorded{reused}.")
    if outcome.skipped:
        out.print(f"[yellow]{len(outcome.skipped)} points left out for time[/] (the time budget; run again to "
                  f"continue, or give --time-budget): " + "; ".join(
                      f"{c.model} {c.backend} {c.precision} b{c.batch_size} {c.size_label}"
                      for c, _ in outcome.skipped[:8]) + (" ..." if len(outcome.skipped) > 8 else ""))
        case = outcome.skipped[0][0]
        out.print(f"measure one alone with: {measure_command(case, result.out_dir)}", highlight=False,
                  markup=False)
    out.print(f"results: {result.out_dir}/results.jsonl; fits: {result.fits_path}; figures: "
              f"{result.out_dir}/figures/ ({len(result.figures)} files); report: {result.report_path or 'none'}; "
              f"summary: {result.summary_path}", highlight=False)
    _late_failures(result)


def _late_failures(result) -> None:
    """A study whose figures or report failed keeps its results; say so in one line and exit 1."""
    if result.failures:
        fail(f"{'; '.join(result.failures)}. The measurements are kept in {result.out_dir}/results.jsonl; "
              f"retry the report alone with: infercost report {result.out_dir}", 1)
