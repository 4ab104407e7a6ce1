"""The commands that measure this machine (bench, probe, profile), list what it has (models, backends, env,
envs), and move results (export, merge).

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import cli, handled, out, print_json
from infercost.errors import UsageError


@cli.command()
@click.option("--kind", type=click.Choice(["zoo", "llm"]), default="zoo", show_default=True,
              help="zoo: the models measured here; llm: the language models known by shape, to predict by name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handled
def models(kind: str, as_json: bool) -> None:
    """List the model zoo with parameters and GFLOPs at the default resolution (--kind llm: the language models)."""
    from infercost.commands.models import list_language_models, list_models

    if kind == "llm":
        rows = list_language_models()
        if as_json:
            return print_json(rows)
        from infercost.report.tables import language_models_table

        out.print(language_models_table(rows))
        return out.print("Parameters are counted from each config's numbers; predict, simulate and recommend take "
                         "these names (and hf:DIR of a config.json alone).", highlight=False)
    rows = list_models()
    if as_json:
        return print_json(rows)
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
        return print_json(rows)
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
        return print_json(result)
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
        return print_json(data)
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
@click.option("--prompt-len", type=p.PROMPT_LEN, default=None,
              help="Prompt lengths for generation, e.g. 128,512 (with --output-len).")
@click.option("--output-len", type=p.OUTPUT_LEN, default=None,
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
    from infercost.grid import Grid
    from infercost.runner import RunOptions
    from infercost.timing import TimerConfig

    if prompt_len and seq_len:
        raise UsageError("give --prompt-len or --seq-len, not both (a prompt length is a generation's sequence length)")
    if prompt_len and not output_len:
        raise UsageError("--prompt-len goes with --output-len (the tokens to generate)")
    seq_lens = prompt_len.fixed("--prompt-len") if prompt_len else seq_len
    grid = Grid.of(model, backends=backend, devices=device, precisions=precision, batches=batch,
                   resolutions=resolution, channels_last=channels_last, dims=dims, seq_lens=seq_lens,
                   output_lens=output_len.fixed("--output-len") if output_len else ())
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
    prof = profile_model(model, batch, height, width=width, precision=precision, seq=seq_len)
    layers = [{**layer.model_dump(), "intensity": layer.intensity} for layer in prof.layers]
    if as_json:
        return print_json({"model": model, "batch_size": batch, "height": prof.height, "width": prof.width,
                            "precision": precision, "layers": layers, "total": prof.totals()})
    from infercost.report.tables import profile_table

    out.print(profile_table(layers, prof.totals()))
