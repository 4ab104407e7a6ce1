"""The commands: parse, call the library, print. No logic of its own.

CLI layer (cli).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from infercost import cli_params as p
from infercost.errors import InfercostError, UsageError

# Piped output keeps whole rows rather than rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/] {escape(' '.join(message.split()))}", markup=True, highlight=False)
    sys.exit(code)


def handled(fn: Callable) -> Callable:
    """Map the project's errors to one line on stderr and a non-zero exit; nothing else is caught."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InfercostError as exc:
            _fail(str(exc), 2)

    return wrapper


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


class OneLineErrors(click.Group):
    """Click's own usage errors (a missing option, a value out of range) as one line and exit 2, like ours."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            command = getattr(getattr(exc, "ctx", None), "command_path", None)
            _fail(exc.format_message() + (f" (see {command} -h)" if command else ""), exc.exit_code)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="infercost")
def cli() -> None:
    """infercost: on which hardware should this network run inference, and what will it cost?"""


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handled
def models(as_json: bool) -> None:
    """List the model zoo with parameters and GFLOPs at the default resolution."""
    from infercost.commands.models import list_models

    rows = list_models()
    if as_json:
        return _print_json(rows)
    from infercost.report.tables import models_table

    out.print(models_table(rows))
    out.print("Also: torchvision:NAME, a .onnx or .pt2 file, or python:package.module:factory.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def backends(as_json: bool) -> None:
    """List the backends, their versions, devices and precisions on this machine."""
    from infercost.commands.backends import list_backends

    rows = list_backends()
    if as_json:
        return _print_json(rows)
    from infercost.report.tables import backends_table

    out.print(backends_table(rows))


@cli.group()
def envs() -> None:
    """Python environments of their own for MXNet and TensorFlow (created once, cached)."""


@envs.command(name="create")
@click.argument("name", type=click.Choice(["mxnet", "tensorflow"]))
@handled
def env_create(name: str) -> None:
    """Create (or rebuild) NAME's environment: a venv with the framework's pinned packages."""
    from infercost import venvs

    python = venvs.create(name, log=lambda text: out.print(text, highlight=False))
    out.print(f"{name}: {python} ({venvs.describe(name).get('versions')})", highlight=False)


@envs.command(name="list")
@handled
def env_list() -> None:
    """Show each environment: where it is and what it holds."""
    from infercost import venvs

    for name in venvs.REQUIREMENTS:
        found = venvs.describe(name)
        out.print(f"{name}: " + (f"{found.get('python')} {found.get('versions', '')}" if found else
                                 f"not created (infercost envs create {name})"), highlight=False)


@cli.command()
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def probe(device: str, as_json: bool) -> None:
    """Measure the device's ceilings: best matmul rate per precision and memory copy bandwidth."""
    from infercost.case import validate_device
    from infercost.pricing.catalog import cpu_ceiling
    from infercost.probe import run_probe, save_probe

    validate_device(device)
    result = save_probe(run_probe(device, ceiling=cpu_ceiling() if device == "cpu" else None))
    if as_json:
        return _print_json(result)
    for precision, rate in result["peak_flops_per_s"].items():
        library = result["library"][precision]
        how = library if library.startswith("theoretical") else \
            f"{library}, {result['matmul_size']}x{result['matmul_size']} matmul"
        bound = " (a lower bound)" if precision in result.get("lower_bounds", {}) else ""
        out.print(f"{precision:>6}  {rate / 1e12:8.3f} TFLOP/s{bound}  ({how})", highlight=False, markup=False)
    for precision, library in result["library"].items():
        if precision not in result["peak_flops_per_s"]:
            out.print(f"{precision:>6}  -  {library}", highlight=False, markup=False)
    out.print(f"  copy  {result['copy_bandwidth_bytes_per_s'] / 1e9:8.1f} GB/s (read + write)", highlight=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def env(as_json: bool) -> None:
    """Print this machine's fingerprint, as stored with every result."""
    from infercost.env import fingerprint

    data = fingerprint()
    if as_json:
        return _print_json(data)
    for key, value in data.items():
        out.print(f"[bold]{key:>14}[/]  {value}", highlight=False)


@cli.command()
@click.argument("model")
@click.option("--backend", default=None,
              help="Backends, comma-separated, or auto: the fastest stack that passes the output check "
                   "[default: torch; onnxruntime for .onnx files].")
@click.option("--device", default="cpu", show_default=True, help="Devices: cpu, cuda, cuda:N, mps.")
@click.option("--precision", default="fp32", show_default=True, help="Precisions: fp32,fp16,bf16,int8 or auto.")
@click.option("--tolerance", default=None, help="Output-check tolerances (relative L2), e.g. bf16=0.05,int8=0.2.")
@click.option("--no-check", is_flag=True, help="Skip the output check against PyTorch eager fp32.")
@click.option("--no-probe", is_flag=True, help="Don't measure the device's ceiling for fraction_of_peak.")
@click.option("--auto-compile", is_flag=True,
              help="Let --backend auto try slow stacks: torch-compile, tensorflow-xla, tflite.")
@click.option("--batch", default="1", show_default=True, help="Batch sizes, e.g. 1,2,4.")
@click.option("--resolution", default=None, help="Resolutions, e.g. 224,512x384 (default: the model's).")
@click.option("--channels-last", is_flag=True, help="Use the channels_last memory format (torch).")
@click.option("--dim", "dims", multiple=True,
              help="Bind an ONNX file's named dynamic dimension, e.g. --dim seq=128 (repeatable).")
@click.option("--seq-len", default=None, help="Sequence lengths, e.g. 128,512: bind seq / sequence / "
                                              "sequence_length in an ONNX file.")
@click.option("--prompt-len", default=None, help="Prompt lengths for generation, e.g. 128,512 (with --output-len).")
@click.option("--output-len", default=None,
              help="Tokens to generate, e.g. 32: makes the points generation cases (TTFT, TPOT; a causal model).")
@click.option("--method", type=click.Choice(["adaptive", "seed"]), default="adaptive", show_default=True,
              help="adaptive: stop on the median's CI; seed: the classic 11 calls, mean of the last 10.")
@click.option("--min-time", type=p.TIME_S, default=1.0, show_default=True, help="Seconds of timed calls at least.")
@click.option("--max-time", type=p.TIME_S, default=30.0, show_default=True, help="Seconds of timed calls at most.")
@click.option("--memory-limit", type=p.Size(), default=None, help="Cap each case's memory, e.g. 4GiB.")
@click.option("--timeout", type=p.TIMEOUT_S, default=600.0, show_default=True, help="Seconds before a case is killed.")
@click.option("--out", "out_dir", default="infercost-results", show_default=True, help="Results directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as a JSON array instead of a table.")
@handled
def bench(model: str, backend: str | None, device: str, precision: str, batch: str, resolution: str | None,
          channels_last: bool, dims: tuple[str, ...], seq_len: str | None, prompt_len: str | None,
          output_len: str | None, method: str, min_time: float,
          max_time: float, memory_limit: int | None,
          timeout: float, out_dir: str, as_json: bool, tolerance: str | None, no_check: bool, no_probe: bool,
          auto_compile: bool) -> None:
    """Measure MODEL over the grid of the given lists, one isolated process per point."""
    from infercost.accuracy import parse_tolerances
    from infercost.commands.bench import run_bench
    from infercost.grid import Grid, default_backend, dim_bindings, parse_batches, split_list
    from infercost.runner import RunOptions
    from infercost.timing import TimerConfig

    if prompt_len and seq_len:
        raise UsageError("give --prompt-len or --seq-len, not both (a prompt length is a generation's sequence length)")
    if prompt_len and not output_len:
        raise UsageError("--prompt-len goes with --output-len (the tokens to generate)")
    if resolution is not None and not split_list(resolution):
        raise UsageError("no resolution given; use e.g. --resolution 224,512x384")
    seq_lens = parse_batches(prompt_len or seq_len, "sequence length") if (prompt_len or seq_len) else []
    output_lens = tuple(parse_batches(output_len, "output length")) if output_len else ()
    backends = split_list(default_backend(split_list(model)) if backend is None else backend)
    grid = Grid(tuple(split_list(model)), tuple(backends), tuple(split_list(device)),
                tuple(split_list(precision)), tuple(parse_batches(batch)), tuple(split_list(resolution)),
                channels_last, tuple(dim_bindings(list(dims), seq_lens)), output_lens)
    options = RunOptions(TimerConfig(method=method, min_time_s=min_time, max_time_s=max(max_time, min_time)),
                         timeout, memory_limit, tolerances=parse_tolerances(tolerance), check_output=not no_check)
    records = run_bench(grid, options, out_dir, progress=not as_json, probe=not no_probe, auto_compile=auto_compile)
    if as_json:
        return click.echo("[" + ",\n".join(r.to_json() for r in records) + "]")
    from infercost.report.tables import records_table, selection_line

    out.print(records_table(records))
    for selection in {id(r.selection): r.selection for r in records if r.selection}.values():
        out.print(selection_line(selection), highlight=False)
    out.print(f"{len(records)} records appended to {out_dir}/results.jsonl")


def traffic_options(fn: Callable) -> Callable:
    """--qps, --slo-ms, --traffic and the sporadic load's flags, gathered into `asked` (an Asked)."""
    @click.option("--qps", type=p.QPS, default=None,
                  help="Steady request rate (default by kind: 50/s classification, 5/s image-to-image, 20/s text).")
    @click.option("--slo-ms", type=p.LATENCY_MS, default=None,
                  help="p99 latency target in ms (default by kind: 100, 1000, 200).")
    @click.option("--traffic", default="steady", show_default=True, help="steady (Poisson), bursty, or a trace file.")
    @click.option("--requests-per-day", type=p.REQUESTS_PER_DAY, default=2000.0, show_default=True,
                  help="Sporadic load: requests a day.")
    @click.option("--burst", type=p.BURST, default=20, show_default=True,
                  help="Sporadic load: requests per burst (the first of each meets a cold server).")
    @click.option("--keep", type=p.Duration(allow_zero=True), default="60s", show_default=True,
                  help="Sporadic load: how long an idle server is kept before it scales to zero.")
    @functools.wraps(fn)
    def wrapper(*args, qps, slo_ms, traffic, requests_per_day, burst, keep, **kwargs):
        from infercost.serving.answer import Asked
        from infercost.serving.sporadic import SporadicLoad

        asked = Asked(qps, slo_ms, traffic, SporadicLoad(requests_per_day, int(burst), keep))
        return fn(*args, asked=asked, **kwargs)

    return wrapper


def _deprecated(old: str, new: str, value):
    """An old flag's value, with a note on stderr; None when the old flag was not given."""
    if value is not None:
        err.print(f"note: {old} is deprecated; use {new}", highlight=False, markup=False)
    return value


def main() -> None:
    cli(prog_name="infercost")


def _catalog(path: str | None):
    from infercost.pricing import load_catalog

    return load_catalog(path)


@cli.group()
def catalog() -> None:
    """The catalog of cloud instances and accelerators, each row with its source and as-of date."""


@catalog.command("list")
@click.option("--provider", default=None, help="aws, gcp or azure.")
@click.option("--accelerator", default=None, help="e.g. L4, T4, or a CPU such as 'EPYC Genoa'.")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: instances and accelerators.")
@handled
def catalog_list(provider: str | None, accelerator: str | None, catalog_file: str | None, as_json: bool) -> None:
    """List instances (and, with --json, every accelerator)."""
    from infercost.commands.cost import catalog_rows

    cat = _catalog(catalog_file)
    rows = catalog_rows(cat, provider, accelerator)
    if as_json:
        return _print_json({"instances": [r.model_dump() for r in rows],
                            "accelerators": [a.model_dump() for a in cat.accelerators.values()]})
    from infercost.report.tables import catalog_table

    out.print(catalog_table(rows))
    out.print(f"{len(rows)} instances; accelerator and CPU figures: infercost catalog show NAME")


@catalog.command("pay-per-use")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def catalog_pay_per_use(as_json: bool) -> None:
    """The serverless plans sporadic load is priced on: each rate with its unit, date and source."""
    from infercost.pricing.pay_per_use import plan_rows

    rows = plan_rows()
    if as_json:
        return _print_json(rows)
    from infercost.report.tables import pay_per_use_table

    out.print(pay_per_use_table(rows))
    out.print("Also in the source, not priced here: GPU offerings (their duration would be a prediction on another "
              "chip). Free tiers are not subtracted.", highlight=False)


@catalog.command("show")
@click.argument("name")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def catalog_show(name: str, catalog_file: str | None, as_json: bool) -> None:
    """One instance (with its accelerator's figures) or one accelerator."""
    from infercost.commands.cost import show

    data = show(_catalog(catalog_file), name)
    if as_json:
        return _print_json(data)
    for section, fields in data.items():
        if fields is None:
            continue
        out.print(f"[bold]{section}[/]")
        for key, value in fields.items():
            if value is not None:
                out.print(f"  {key:>24}  {value}", highlight=False, markup=False)


@cli.command()
@click.option("--instance", default=None, help="A catalog instance, e.g. p3.2xlarge (host+eia2.medium for EI).")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price this machine at X USD per hour.")
@click.option("--latency-ms", type=p.LATENCY_MS, default=None, help="Price one latency (milliseconds per batch).")
@click.option("--batch", type=p.BATCH, default=1, show_default=True, help="The batch size of that latency.")
@click.option("--results", "results_dir", default=None, help="Price every ok point of a results directory.")
@click.option("--spot", is_flag=True, help="Use the spot price.")
@click.option("--qps", type=p.QPS, default=None, help="Monthly cost of serving this many requests per second.")
@click.option("--monthly-requests", type=p.MONTHLY_REQUESTS, default=None, help="Monthly cost of this many requests.")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog (YAML, CSV or SkyPilot vms.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def cost(instance: str | None, price_per_hour: float | None, latency_ms: float | None, batch: int,
         results_dir: str | None, spot: bool, qps: float | None, monthly_requests: float | None,
         catalog_file: str | None, as_json: bool) -> None:
    """Cost per inference and the monthly bill, from a latency or from stored results."""
    from infercost.commands.cost import cost_from_latency, cost_from_results

    cat = _catalog(catalog_file)
    if results_dir is None:
        estimate = cost_from_latency(cat, latency_ms, batch, instance, price_per_hour, spot, qps, monthly_requests)
        if as_json:
            return _print_json(estimate.model_dump())
        for key, value in estimate.model_dump().items():
            if value is not None:
                out.print(f"{key:>24}  {value:.6g}" if isinstance(value, float) else f"{key:>24}  {value}",
                          highlight=False, markup=False)
        return None
    rows = cost_from_results(cat, results_dir, instance, price_per_hour, spot, qps, monthly_requests)
    if as_json:
        return _print_json(rows)
    from infercost.report.tables import cost_table

    out.print(cost_table(rows))


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
    from infercost.commands.study import ClusterSpec, make_plan, run_cluster_study, run_study
    from infercost.grid import split_list
    from infercost.runner import RunOptions

    if not cluster:
        validate_device(device)
    if (targets or deadline) and not cluster:
        raise UsageError("--targets and --deadline go with --cluster")
    depth = _deprecated("--profile", "--depth", profile) or depth
    plan = make_plan(plan_file, depth, split_list(models), split_list(backends), split_list(precisions), device)
    if write_plan:
        Path(write_plan).write_text(plan.to_yaml())
        return out.print(f"plan with {len(plan.cases())} points written to {write_plan}")
    options = RunOptions(timeout_s=timeout, memory_limit_bytes=memory_limit)
    if cluster:
        result = run_cluster_study(plan, out_dir, ClusterSpec(cluster, targets, deadline), options, time_budget,
                                   progress=not as_json, probe=not no_probe, asked=asked)
    else:
        result = run_study(plan, out_dir, options, time_budget, progress=not as_json, probe=not no_probe,
                           asked=asked)
    if as_json:
        _print_json({"summary": result.summary, "fits": [f.model_dump() for f in result.fits],
                     "out": str(result.out_dir), "report": str(result.report_path) if result.report_path else None,
                     "failures": result.failures, "measured": len(result.outcome.measured),
                     "resumed": result.outcome.resumed, "skipped_over_budget": len(result.outcome.skipped)})
        return _late_failures(result)
    from infercost.report.tables import fits_table, study_summary_table

    out.print(study_summary_table(result.summary))
    out.print(fits_table(result.fits))
    outcome = result.outcome
    reused = (f", {outcome.resumed} reused from records already there (an earlier run's, or a point that two "
              f"ladders share)") if outcome.resumed else ""
    out.print(f"{len(outcome.measured)} points recorded{reused}.")
    if outcome.skipped:
        out.print(f"[yellow]{len(outcome.skipped)} points skipped over the time budget[/] (run again to continue): "
                  + ", ".join(f"{c.model} {c.backend} b{c.batch_size} {c.size_label}" for c, _ in outcome.skipped[:8])
                  + (" ..." if len(outcome.skipped) > 8 else ""))
    out.print(f"results: {result.out_dir}/results.jsonl; fits: {result.fits_path}; figures: "
              f"{result.out_dir}/figures/ ({len(result.figures)} files); report: {result.report_path or 'none'}; "
              f"summary: {result.summary_path}", highlight=False)
    _late_failures(result)


def _late_failures(result) -> None:
    """A study whose figures or report failed keeps its results; say so in one line and exit 1."""
    if result.failures:
        _fail(f"{'; '.join(result.failures)}. The measurements are kept in {result.out_dir}/results.jsonl; "
              f"retry the report alone with: infercost report {result.out_dir}", 1)


@cli.command(name="export")
@click.argument("directory")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", required=True, help="Output file.")
@handled
def export_cmd(directory: str, fmt: str, output: str) -> None:
    """Flatten a results directory: one row per point, stats as columns (raw samples in jsonl/parquet)."""
    from infercost.results.export import export

    count = export(directory, fmt, output)
    out.print(f"{count} records written to {output}")


@cli.command()
@click.argument("directories", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="New results directory.")
@handled
def merge(directories: tuple[str, ...], output: str) -> None:
    """Combine studies from several machines, each machine's records kept apart."""
    from infercost.results.export import merge as merge_dirs

    counts = merge_dirs(directories, output)
    for machine, count in counts.items():
        out.print(f"machine {machine}: {count} records")
    out.print(f"merged into {output}/results.jsonl")


@cli.command(name="simulate")
@click.option("--results", "results_dir", required=True, help="A results directory with the model's measurements.")
@click.option("--model", required=True, help="The model, as recorded.")
@click.option("--stack", default=None, help="backend:precision (default: the fastest at batch 1).")
@click.option("--device", default=None, help="Only results from this device.")
@click.option("--resolution", default=None, help="Only results at this resolution (default: the most measured).")
@click.option("--qps", type=p.QPS, required=True, help="Mean request rate.")
@click.option("--slo-ms", type=p.LATENCY_MS, default=None, help="Latency target in milliseconds (not generation).")
@click.option("--percentile", type=p.PERCENTILE, default=99.0, show_default=True, help="Percentile held to the target.")
@click.option("--prompt-len", default=None, help="Generation: prompt tokens, fixed (128) or a range (64:512).")
@click.option("--output-len", default=None, help="Generation: output tokens, fixed or a range; makes it continuous "
                                                 "batching.")
@click.option("--slo-ttft-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-to-first-token target.")
@click.option("--slo-tpot-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-per-output-token target.")
@click.option("--kv-budget", type=p.Size(), default=None,
              help="Generation: KV-cache memory per replica (default: the measured machine's, less the weights).")
@click.option("--token-budget", type=p.BATCH, default=2048, show_default=True,
              help="Generation: tokens one iteration may process.")
@click.option("--batching", type=click.Choice(["none", "dynamic"]), default="dynamic", show_default=True)
@click.option("--max-batch", type=p.MAX_BATCH, default=8, show_default=True)
@click.option("--max-delay-ms", type=p.DELAY_MS, default=5.0, show_default=True)
@click.option("--traffic", default="steady", show_default=True,
              help="steady (Poisson), bursty, or a trace file (its times rescaled to --qps).")
@click.option("--arrivals", default=None, hidden=True, help="Deprecated spelling of --traffic.")
@click.option("--replicas", type=p.REPLICAS, default=None,
              help="Fix the replica count (default: the fewest that meet it).")
@click.option("--instance", default=None, help="Price with this catalog instance.")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price at X USD per hour per replica.")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def simulate_cmd(results_dir: str, model: str, stack: str | None, device: str | None, resolution: str | None,
                 qps: float, slo_ms: float | None, percentile: float, prompt_len: str | None, output_len: str | None,
                 slo_ttft_ms: float | None, slo_tpot_ms: float | None, kv_budget: int | None, token_budget: int,
                 batching: str, max_batch: int, max_delay_ms: float,
                 traffic: str, arrivals: str | None, replicas: int | None, instance: str | None,
                 price_per_hour: float | None, catalog_file: str | None, as_json: bool) -> None:
    """Simulate serving a request stream from measured latencies: percentiles, capacity, replicas, cost. With
    --output-len, a language model served with continuous batching (TTFT and TPOT targets, cost per million
    output tokens)."""
    from infercost.case import parse_resolution
    from infercost.commands.cost import resolve_price
    from infercost.commands.serving import simulate_stream
    from infercost.results import load_records
    from infercost.serving import Policy, curve_from_records
    from infercost.serving.target import ServingTarget

    if output_len or prompt_len:
        return _simulate_generation(results_dir, model, qps, prompt_len, output_len, slo_ttft_ms, slo_tpot_ms,
                                    kv_budget, token_budget, resolve_price(_catalog(catalog_file), instance,
                                                                           price_per_hour, False), as_json)
    if slo_ms is None:
        raise UsageError("--slo-ms is needed (or, for a language model, --output-len with TTFT and TPOT targets)")
    traffic = _deprecated("--arrivals", "--traffic", arrivals) or traffic
    target = ServingTarget(qps, slo_ms / 1e3, percentile, traffic)
    policy = Policy.named(batching, max_batch, max_delay_ms / 1e3)
    name, price = resolve_price(_catalog(catalog_file), instance, price_per_hour, False)
    curve = curve_from_records(load_records(results_dir), model, stack, device,
                               parse_resolution(resolution) if resolution else None)
    data = {**simulate_stream(curve, target, policy, replicas, price), "instance": name}
    if as_json:
        return _print_json(data)
    from infercost.report.tables import serving_table

    out.print(f"{data['curve']}: {qps:g} requests/s, p{percentile:g} target {slo_ms:g} ms", highlight=False)
    out.print(serving_table(data["comparison"], priced=price is not None))
    if data.get("warning"):
        out.print(f"[yellow]warning:[/] {data['warning']}")
    if price is None:
        out.print("No price: pass --instance NAME or --price-per-hour X for the monthly cost.")


def _simulate_generation(results_dir: str, model: str, qps: float, prompt_len: str | None, output_len: str | None,
                         slo_ttft_ms: float | None, slo_tpot_ms: float | None, kv_budget: int | None,
                         token_budget: int, priced: tuple, as_json: bool) -> None:
    from infercost.commands.serving import simulate_generation
    from infercost.results import load_records
    from infercost.serving.continuous import GenerationTarget, parse_lengths

    if not (prompt_len and output_len and slo_ttft_ms and slo_tpot_ms):
        raise UsageError("generation needs --prompt-len, --output-len, --slo-ttft-ms and --slo-tpot-ms")
    target = GenerationTarget(qps, parse_lengths(prompt_len, "prompt length"),
                              parse_lengths(output_len, "output length"), slo_ttft_ms / 1e3, slo_tpot_ms / 1e3)
    name, price = priced
    data = {**simulate_generation(load_records(results_dir), model, target, price, kv_budget, token_budget),
            "instance": name}
    if as_json:
        return _print_json(data)
    from infercost.units import fmt_seconds

    out.print(f"{model} ({data['stack']}), continuous batching at {qps:g} requests/s: TTFT p50 "
              f"{fmt_seconds(data['ttft_p50_s'])}, p99 {fmt_seconds(data['ttft_p99_s'])}; TPOT p50 "
              f"{fmt_seconds(data['tpot_p50_s'])}, p99 {fmt_seconds(data['tpot_p99_s'])}; goodput "
              f"{data['goodput_per_s']:.3g}/s", highlight=False)
    cost = (f"; {data['cost_per_million_output_tokens']:.4g} USD per million output tokens"
            if data["cost_per_million_output_tokens"] else "; no price: pass --instance or --price-per-hour")
    out.print(f"one replica sustains {data['max_qps_under_slo']:.3g} requests/s under p99 TTFT {slo_ttft_ms:g} ms "
              f"and TPOT {slo_tpot_ms:g} ms; replicas {data['replicas'] or 'none suffice'}{cost}", highlight=False)
    return None


def _loadtest_generation(model: str, qps: float, max_batch: int, duration: float, precision: str, device: str,
                         seed: int, prompt_len: str | None, output_len: str | None, as_json: bool) -> None:
    from infercost.commands.loadtest import LoadedEngine, LoadRun, generation_loadtest
    from infercost.grid import single_case
    from infercost.serving.continuous import parse_lengths
    from infercost.units import fmt_seconds

    if not (prompt_len and output_len):
        raise UsageError("a generation load test needs both --prompt-len and --output-len")
    prompt, output = parse_lengths(prompt_len, "prompt length"), parse_lengths(output_len, "output length")
    case = single_case(model, "torch", device, precision)
    run = LoadRun(duration, seed=seed)
    data = {"model": model, "precision": precision,
            **generation_loadtest(LoadedEngine(case, prompt, output, max_batch, seed), qps, run)}
    if as_json:
        return _print_json(data)
    out.print(f"{model} torch {precision}, continuous batching (batch <= {max_batch}), prompt {prompt_len}, output "
              f"{output_len}: {qps:g} requests/s for {duration:g} s ({data['requests']} requests), mean decode "
              f"batch {data['mean_decode_batch']:.2f}", highlight=False)
    for name in ("measured", "simulated"):
        row = data[name]
        out.print(f"  {name + ':':11} TTFT p50 {fmt_seconds(row['ttft_p50_s'])}  p99 {fmt_seconds(row['ttft_p99_s'])}"
                  f"   TPOT p50 {fmt_seconds(row['tpot_p50_s'])}  p99 {fmt_seconds(row['tpot_p99_s'])}",
                  highlight=False)
    ci = data["measured_ci95"]
    out.print(f"  measured p99s' 95% intervals: TTFT {fmt_seconds(ci['ttft_p99_ci95_s'][0])} to "
              f"{fmt_seconds(ci['ttft_p99_ci95_s'][1])}, TPOT {fmt_seconds(ci['tpot_p99_ci95_s'][0])} to "
              f"{fmt_seconds(ci['tpot_p99_ci95_s'][1])}", highlight=False)
    out.print(f"  (simulated on the step cost profiled just before; one replica's capacity "
              f"{data['capacity_per_s']:.3g} requests/s)", highlight=False)
    return None


@cli.command(name="loadtest")
@click.argument("model")
@click.option("--qps", type=p.QPS, required=True, help="Mean Poisson request rate.")
@click.option("--batching", type=click.Choice(["none", "dynamic"]), default="dynamic", show_default=True)
@click.option("--max-batch", type=p.SERVED_BATCH, default=8, show_default=True)
@click.option("--max-delay-ms", type=p.DELAY_MS, default=5.0, show_default=True)
@click.option("--duration", type=p.Duration(), default="30s", show_default=True,
              help="How long to send requests, e.g. 30s.")
@click.option("--slo-ms", type=p.LATENCY_MS, default=None, help="Latency target in milliseconds.")
@click.option("--backend", default=None, help="[default: torch; onnxruntime for an .onnx file]")
@click.option("--precision", default="fp32", show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--resolution", default=None, help="Input resolution (default: the model's).")
@click.option("--seed", type=p.SEED, default=0, show_default=True)
@click.option("--warmup", type=p.Duration(allow_zero=True), default="0s", show_default=True,
              help="Serve this long at the same rate first; the simulator then uses the service times it saw.")
@click.option("--blocks", type=p.BLOCKS, default=None,
              help="Alternate the warm-up and the measured time in this many pieces, so that a machine whose speed "
                   "drifts drifts alike under both [default: one per 10 s measured, with --warmup].")
@click.option("--prompt-len", default=None,
              help="A language model: prompt tokens, fixed (32) or a range (16:64); with --output-len, requests are "
                   "generated with continuous batching (--max-batch sizes the KV cache).")
@click.option("--output-len", default=None, help="A language model: output tokens, fixed or a range.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def loadtest_cmd(model: str, qps: float, batching: str, max_batch: int, max_delay_ms: float, duration: float,
                 slo_ms: float | None, backend: str | None, precision: str, device: str, resolution: str | None,
                 seed: int, warmup: float, blocks: int | None, prompt_len: str | None, output_len: str | None,
                 as_json: bool) -> None:
    """Drive the real model in-process with open-loop Poisson arrivals (the MLPerf Server scenario); a language
    model with --prompt-len and --output-len is generated with continuous batching."""
    from infercost.commands.loadtest import LoadRun, loadtest
    from infercost.grid import default_backend, single_case
    from infercost.serving import Policy
    from infercost.serving.target import ServingTarget

    if prompt_len or output_len:
        return _loadtest_generation(model, qps, max_batch, duration, precision, device, seed, prompt_len,
                                    output_len, as_json)
    backend = default_backend([model]) if backend is None else backend
    case = single_case(model, backend, device, precision, resolution)
    policy = Policy.named(batching, max_batch, max_delay_ms / 1e3)
    data = loadtest(case, ServingTarget(qps, slo_ms / 1e3 if slo_ms else None), policy,
                    LoadRun(duration, warmup, blocks, seed))
    if as_json:
        return _print_json(data)
    from infercost.units import fmt_seconds

    out.print(f"{model} {backend} {precision} {case.size_label}, {data['policy']}, {qps:g} requests/s "
              f"for {duration:g} s ({data['requests']} requests)", highlight=False)
    out.print(f"  measured:  p50 {fmt_seconds(data['p50_s'])}  p90 {fmt_seconds(data['p90_s'])}  "
              f"p99 {fmt_seconds(data['p99_s'])} (95% interval {fmt_seconds(data['p99_ci95_s'][0])} to "
              f"{fmt_seconds(data['p99_ci95_s'][1])})  throughput {data['throughput_per_s']:.1f}/s  "
              f"utilization {data['utilization']:.0%}  mean batch {data['mean_batch']:.2f}", highlight=False)
    sim = data["simulated"]
    out.print(f"  simulated: p50 {fmt_seconds(sim['p50_s'])}  p90 {fmt_seconds(sim['p90_s'])}  "
              f"p99 {fmt_seconds(sim['p99_s'])}  (service times from the "
              f"{'warm-up' if warmup else 'latency curve measured just before'}"
              + (f", in {data['blocks']} blocks alternating with the measured ones" if data["blocks"] > 1 else "")
              + ")",
              highlight=False)
    s = data["scenarios"]
    out.print(f"  MLPerf SingleStream p90 {fmt_seconds(s['SingleStream']['p90_latency_s'])}; Offline "
              f"{s['Offline']['throughput_per_s']:.1f}/s at batch {s['Offline']['at_batch']}; Server at {qps:g} qps: "
              f"p99 {fmt_seconds(s['Server']['p99_s'])}"
              + (f", target {'met' if s['Server']['slo_met'] else 'missed'}" if slo_ms else ""), highlight=False)


@cli.command(name="profile")
@click.argument("model")
@click.option("--resolution", default=None, help="e.g. 224 or 512x384 (default: the model's).")
@click.option("--batch", type=p.BATCH, default=1, show_default=True)
@click.option("--precision", default="fp32", show_default=True)
@click.option("--seq-len", type=p.BATCH, default=None, help="A token model's sequence length (default: its own).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def profile_cmd(model: str, resolution: str | None, batch: int, precision: str, seq_len: int | None,
                as_json: bool) -> None:
    """Layer by layer: FLOPs, weight and activation bytes, arithmetic intensity, parameters."""
    from infercost.case import parse_resolution
    from infercost.predict import profile_model

    height, width = parse_resolution(resolution) if resolution else (None, None)
    prof = profile_model(model, batch, height, width, precision, seq_len)
    layers = [{**layer.model_dump(), "intensity": layer.intensity} for layer in prof.layers]
    if as_json:
        return _print_json({"model": model, "batch_size": batch, "height": prof.height, "width": prof.width,
                            "precision": precision, "layers": layers, "total": prof.totals()})
    from infercost.report.tables import profile_table

    out.print(profile_table(layers, prof.totals()))


@cli.command(name="predict")
@click.argument("model", required=False)
@click.option("--accelerator", default=None, help="A catalog accelerator, e.g. L4.")
@click.option("--instance", default=None, help="A catalog instance, e.g. g6.xlarge (one replica per accelerator).")
@click.option("--precision", default="fp32", show_default=True)
@click.option("--batch", type=p.BATCH, default=1, show_default=True)
@click.option("--resolution", default=None, help="e.g. 224 or 512x384 (default: the model's).")
@click.option("--seq-len", type=p.BATCH, default=None, help="A token model's sequence length (default: its own).")
@click.option("--prompt-len", type=p.BATCH, default=None, help="Generation: prompt tokens (with --output-len).")
@click.option("--output-len", type=p.BATCH, default=None, help="Generation: tokens to generate; predicts TTFT, TPOT.")
@click.option("--backend", default=None,
              help="torch, tensorrt, onnxruntime, openvino, mxnet or tensorflow (default: the fastest the corpus "
                   "knows for the device); with --results, calibrate on this backend's measurements only.")
@click.option("--stack", default=None, hidden=True, help="Deprecated spelling of --backend.")
@click.option("--results", "results_dir", default=None, help="Calibrate on these measurements instead of the corpus.")
@click.option("--published", default=None, help="Add your own published-measurement rows (the corpus's columns).")
@click.option("--validate", "validate_dir", default=None, help="Hold out groups of these results and print the error.")
@click.option("--validate-published", is_flag=True, help="Hold out groups of the corpus and print the error.")
@click.option("--hold-out", type=click.Choice(["model", "resolution", "device", "accelerator", "stack", "generation"]),
              default=None, help="What each validation fold leaves out [--validate: model; --validate-published: "
                                 "accelerator].")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def predict_cmd(model: str | None, accelerator: str | None, instance: str | None, precision: str, batch: int,
                resolution: str | None, seq_len: int | None, prompt_len: int | None, output_len: int | None,
                backend: str | None, stack: str | None,
                results_dir: str | None, published: str | None, validate_dir: str | None, validate_published: bool,
                hold_out: str | None, catalog_file: str | None, as_json: bool) -> None:
    """Predict a model's latency on a catalog accelerator or instance, calibrated on published measurements."""
    from infercost.case import parse_resolution
    from infercost.commands.predict import Basis, Where, predict_on, validate_results

    cat = _catalog(catalog_file)
    if validate_published:
        return _validate_published(hold_out or "accelerator", published, as_json)
    if validate_dir:
        return _validate_results(validate_results(validate_dir, cat, hold_out or "model"), hold_out or "model",
                                 as_json)
    if not model:
        raise UsageError("give a MODEL to predict, or --validate DIR, or --validate-published")
    height, width = parse_resolution(resolution) if resolution else (None, None)
    backend = _deprecated("--stack", "--backend", stack) or backend
    if output_len or prompt_len:
        return _predict_generation(model, cat, Where(accelerator, instance), precision, batch, prompt_len,
                                   output_len, backend, Basis(results_dir, published), as_json)
    data = predict_on(model, cat, Where(accelerator, instance), precision, batch,
                      (height, width) if height else seq_len, backend, Basis(results_dir, published))
    if as_json:
        return _print_json(data)
    from infercost.units import fmt_bytes, fmt_seconds

    if not data["supported"]:
        return out.print(f"predicted: not supported: {data['note']}")
    out.print(f"[bold]predicted[/] {model} on {data['accelerator']} ({data['stack']} {data['precision']}, batch "
              f"{batch}, {data['size']}): {fmt_seconds(data['latency_s'])} "
              f"({fmt_seconds(data['latency_low_s'])} to {fmt_seconds(data['latency_high_s'])}), "
              f"{data['throughput_per_s']:.1f}/s, needs {fmt_bytes(data['memory_needed_bytes'])}"
              f"{'' if data['fits_in_memory'] is not False else ' (does NOT fit)'}")
    found = data.get("calibration")
    basis = (f"{found['generation']} ({found['generation_rows']} corpus points), {found['stack']} "
             f"({found['stack_rows']} points)") if found else data["efficiency"]
    out.print(f"  calibrated on {basis}; band {fmt_seconds(data['latency_low_s'])} to "
              f"{fmt_seconds(data['latency_high_s'])} ({data['error_band_source']})"
              + (f"; {data['note']}" if data["note"] else ""), highlight=False)


def _predict_generation(model, cat, where, precision: str, batch: int, prompt_len: int | None,
                        output_len: int | None, backend: str | None, basis, as_json: bool) -> None:
    from infercost.commands.predict import predict_generation_on
    from infercost.units import fmt_bytes, fmt_seconds

    if not (prompt_len and output_len):
        raise UsageError("generation needs --prompt-len and --output-len")
    data = predict_generation_on(model, cat, where, precision, batch, prompt_len, output_len, backend, basis)
    if as_json:
        return _print_json(data)
    g = data["generation"]
    fits = "" if g["fits_in_memory"] is not False else " (does NOT fit)"
    out.print(f"[bold]predicted[/] {model} on {data['accelerator']} ({precision}, batch {batch}, prompt {prompt_len}, "
              f"{output_len} out): TTFT {fmt_seconds(g['ttft_s'])} ({fmt_seconds(g['ttft_low_s'])} to "
              f"{fmt_seconds(g['ttft_high_s'])}), TPOT {fmt_seconds(g['tpot_s'])} ({fmt_seconds(g['tpot_low_s'])} "
              f"to {fmt_seconds(g['tpot_high_s'])}, {g['decode_bound']}-bound), {g['output_tokens_per_s']:.4g} "
              f"output tokens/s; needs {fmt_bytes(g['memory_needed_bytes'])}{fits}")
    out.print(f"  TTFT band: {g['ttft_band_source']}; TPOT band: {g['tpot_band_source']}", highlight=False)
    return None


def _validate_published(hold_out: str, published: str | None, as_json: bool) -> None:
    from infercost.predict.published import validate

    found = validate(hold_out, published)
    if as_json:
        return _print_json(found)
    out.print(f"held out each {hold_out} of the published corpus in turn: {found['points']} points, "
              f"{found['groups']} groups", highlight=False)
    for group, r in found["by_group"].items():
        out.print(f"  {group:22} {r['points']:4d} points: median error {r['median_error']:.0%}, p90 "
                  f"{r['p90_error']:.0%}, predicted/measured {r['bias']:.2f} ({r['pool']})", highlight=False)
    out.print(f"overall: median error {found['median_error']:.0%}, p90 {found['p90_error']:.0%}; "
              f"{found['band_coverage']:.0%} of held-out points inside their band", highlight=False)
    return None


def _validate_results(rows: list[dict], hold_out: str, as_json: bool) -> None:
    if as_json:
        return _print_json(rows)
    if not rows:
        raise UsageError(f"nothing to validate: each stack needs two {hold_out}s or more, and three points "
                         f"to calibrate on when one is held out")
    for r in rows:
        b1, b8 = r["batch1_median_error"], r["batch8_median_error"]
        out.print(f"{r['kind']} {r['backend']} {r['precision']:5} {r['held_out']:22} {r['points']:3d} points: "
                  f"median error {r['median_error']:.0%}, p90 {r['p90_error']:.0%}"
                  + (f"; batch 1 {b1:.0%}" if b1 is not None else "")
                  + (f"; batch 8 {b8:.0%}" if b8 is not None else ""), highlight=False)
    return None


@cli.command(name="recommend")
@click.option("--model", required=True)
@click.option("--resolution", default=None,
              help="e.g. 224 or 512x384 (default: the size most measured in --results, else the model's).")
@click.option("--seq-len", type=p.BATCH, default=None,
              help="A token model's sequence length (default: the one most measured in --results, else its own).")
@click.option("--slo-ms", type=p.LATENCY_MS, default=None, help="Latency target in milliseconds.")
@click.option("--percentile", type=p.PERCENTILE, default=99.0, show_default=True)
@click.option("--qps", type=p.QPS, default=None, help="Mean request rate.")
@click.option("--prompt-len", default=None, help="Generation: prompt tokens, fixed or a range (64:512).")
@click.option("--output-len", default=None, help="Generation: output tokens; ranks by cost per million of them.")
@click.option("--slo-ttft-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-to-first-token target.")
@click.option("--slo-tpot-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-per-output-token target.")
@click.option("--monthly-requests", type=p.MONTHLY_REQUESTS, default=None, help="Requests a month (instead of --qps).")
@click.option("--precision", "precisions", default="fp32,fp16,bf16,int8", show_default=True)
@click.option("--traffic", default="steady", show_default=True, help="steady (Poisson), bursty, or a trace file.")
@click.option("--providers", default=None, help="e.g. aws,gcp,azure (default: all).")
@click.option("--spot", is_flag=True, help="Spot prices (instances without one are left out).")
@click.option("--results", "results_dir", default=None, help="Measured results: calibrate; list each machine.")
@click.option("--instance", default=None, help="The instance the results were measured on.")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price of the machine the results come from.")
@click.option("--include-retired", is_flag=True, help="Also rank instances that can no longer be rented.")
@click.option("--top", type=p.TOP, default=10, show_default=True)
@click.option("--catalog", "catalog_file", default=None, help="A user catalog file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of candidates.")
@click.option("--requests-per-day", type=p.REQUESTS_PER_DAY, default=2000.0, show_default=True,
              help="Sporadic load: requests a day.")
@click.option("--burst", type=p.BURST, default=20, show_default=True, help="Sporadic load: requests per burst.")
@click.option("--keep", type=p.Duration(allow_zero=True), default="60s", show_default=True,
              help="Sporadic load: how long an idle server is kept before it scales to zero.")
@handled
def recommend_cmd(model: str, resolution: str | None, seq_len: int | None, slo_ms: float | None, percentile: float,
                  qps: float | None, prompt_len: str | None, output_len: str | None, slo_ttft_ms: float | None,
                  slo_tpot_ms: float | None, monthly_requests: float | None, precisions: str, traffic: str,
                  providers: str | None, spot: bool,
                  results_dir: str | None, instance: str | None, price_per_hour: float | None, include_retired: bool,
                  top: int, catalog_file: str | None, as_json: bool, requests_per_day: float, burst: float,
                  keep: float) -> None:
    """Rank every catalog instance for serving MODEL under a latency target: cost, replicas, measured or predicted;
    then the answer for steady and for sporadic load, as the report and summary.md give it."""
    from infercost.case import parse_resolution
    from infercost.commands.answer import answer_for
    from infercost.commands.cost import machine_prices
    from infercost.commands.recommend import Candidates, Recommendation, Workload
    from infercost.grid import split_list
    from infercost.results import load_records
    from infercost.serving.answer import Assumptions, answer_lines
    from infercost.serving.sporadic import SporadicLoad
    from infercost.serving.target import ServingTarget

    if prompt_len or output_len:
        return _recommend_generation(model, qps, prompt_len, output_len, slo_ttft_ms, slo_tpot_ms, precisions,
                                     Candidates(tuple(split_list(providers)) or None, include_retired, spot),
                                     _catalog(catalog_file), top, as_json)
    if slo_ms is None:
        raise UsageError("--slo-ms is needed (or, for a language model, --output-len with TTFT and TPOT targets)")
    target = ServingTarget.from_volume(slo_ms / 1e3, qps, monthly_requests, percentile, traffic)
    sporadic = SporadicLoad(requests_per_day, int(burst), keep)
    height, width = parse_resolution(resolution) if resolution else (None, None)
    cat = _catalog(catalog_file)
    records = load_records(results_dir) if results_dir else []
    prices = machine_prices(cat, records, instance, price_per_hour, spot) if results_dir else None
    if seq_len is not None or resolution:
        from infercost.models import resolve_model

        tokens = resolve_model(model).tokens
        if seq_len is not None and not tokens:
            raise UsageError(f"--seq-len is for a token model; {model} takes images (use --resolution)")
        if resolution and tokens:
            raise UsageError(f"--resolution is for an image model; {model} takes tokens (use --seq-len)")
    if resolution or seq_len or not records:
        work = Workload(model, height, width, tuple(split_list(precisions)), seq=seq_len)
    else:  # the size the results measured most, as the report answers it
        work = Workload.served(records, model, tuple(split_list(precisions)))
    found = answer_for(cat, work, records, Assumptions(target, sporadic, ("--qps", "--slo-ms")), results_dir, prices,
                       Candidates(tuple(split_list(providers)) or None, include_retired, spot))
    shown = Recommendation(found.ranking, found.sentence).shown(top)
    if as_json:
        return _print_json(shown)
    from infercost.report.tables import recommend_table

    out.print(recommend_table(shown, f"{found.label}: {target.describe()}", top))
    infeasible = [r for r in shown if not r["feasible"]]
    if infeasible:
        out.print(f"{len(infeasible)} cannot meet it, e.g. " + "; ".join(
            f"{r['instance']}: {r['reason']}" for r in infeasible[:4]), highlight=False, markup=False)
    out.print(found.sentence, highlight=False, markup=False)
    for line in answer_lines(found):
        out.print(line, highlight=False, markup=False)


def _recommend_generation(model: str, qps: float | None, prompt_len: str | None, output_len: str | None,
                          slo_ttft_ms: float | None, slo_tpot_ms: float | None, precisions: str, candidates,
                          cat, top: int, as_json: bool) -> None:
    from infercost.commands.recommend import recommend_generation
    from infercost.grid import split_list
    from infercost.serving.continuous import GenerationTarget, parse_lengths

    if not (qps and prompt_len and output_len and slo_ttft_ms and slo_tpot_ms):
        raise UsageError("generation needs --qps, --prompt-len, --output-len, --slo-ttft-ms and --slo-tpot-ms")
    target = GenerationTarget(qps, parse_lengths(prompt_len, "prompt length"),
                              parse_lengths(output_len, "output length"), slo_ttft_ms / 1e3, slo_tpot_ms / 1e3)
    wanted = tuple(p for p in split_list(precisions) if p != "int8") or ("fp32",)
    rows = recommend_generation(cat, model, target, wanted, candidates)
    shown = [r for r in rows if r["feasible"]][:top] + [r for r in rows if not r["feasible"]]
    if as_json:
        return _print_json(shown)
    from infercost.report.tables import generation_recommend_table

    out.print(generation_recommend_table(shown, f"{model}: {qps:g} requests/s, prompt {prompt_len}, output "
                                                f"{output_len}, p99 TTFT {slo_ttft_ms:g} ms, TPOT {slo_tpot_ms:g} ms",
                                         top))
    feasible = [r for r in rows if r["feasible"]]
    if feasible:
        win = feasible[0]
        out.print(f"{win['instance']} ({win['accelerator']}, {win['precision']}) is cheapest: {win['replicas']} x at "
                  f"{win['monthly_cost_usd']:,.0f} USD a month, {win['cost_per_million_output_tokens']:.3g} USD per "
                  f"million output tokens (predicted; decode band +-50%, stated, not validated).", highlight=False)
    else:
        out.print("No candidate meets both targets at this rate.")
    return None


@cli.command(name="report")
@click.argument("directory")
@click.option("-o", "--output", default=None, help="HTML file (default: DIRECTORY/report.html).")
@click.option("--instance", default=None, help="The instance the results were measured on (for prices).")
@click.option("--price-per-hour", type=p.PRICE, default=None, help="Price of the machine measured.")
@traffic_options
@handled
def report_cmd(directory: str, output: str | None, instance: str | None, price_per_hour: float | None,
               asked) -> None:
    """Write a self-contained HTML report (works offline) and summary.md from stored results."""
    from infercost.commands.report import make_report

    html_path, md_path = make_report(directory, output, price_per_hour, instance, asked)
    out.print(f"report: {html_path}; summary: {md_path}", highlight=False)
