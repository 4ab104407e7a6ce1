"""`infercost predict`: a model on hardware not measured, and the predictor's held-out validation.

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import catalog_of, cli, deprecated, handled, out, print_json
from infercost.errors import UsageError


@cli.command(name="predict")
@click.argument("model", required=False)
@click.option("--accelerator", default=None, help="A catalog accelerator, e.g. L4.")
@click.option("--instance", default=None, help="A catalog instance, e.g. g6.xlarge (one replica per accelerator).")
@click.option("--precision", default="fp32", show_default=True)
@click.option("--batch", type=p.BATCH, default=1, show_default=True)
@click.option("--resolution", default=None, help="e.g. 224 or 512x384 (default: the model's).")
@click.option("--seq-len", type=p.BATCH, default=None, help="A token model's sequence length (default: its own).")
@click.option("--prompt-len", type=p.PROMPT_LEN, default=None, help="Generation: prompt tokens (with --output-len).")
@click.option("--output-len", type=p.OUTPUT_LEN, default=None,
              help="Generation: tokens to generate; predicts TTFT, TPOT.")
@click.option("--tp", type=p.TP, default=1, show_default=True,
              help="Generation: split one replica over N accelerators by tensor parallelism.")
@click.option("--kv-precision", type=click.Choice(["fp16", "bf16", "fp8", "fp32"]), default=None,
              help="Generation: the KV cache's precision [default: 16 bits, fp32 for fp32 and int8].")
@click.option("--backend", default=None,
              help="torch, tensorrt, onnxruntime, openvino, mxnet or tensorflow (default: the fastest the corpus "
                   "knows for the device); with --results, calibrate on this backend's measurements only.")
@click.option("--stack", default=None, hidden=True, help="Deprecated spelling of --backend.")
@click.option("--results", "results_dir", default=None, help="Calibrate on these measurements instead of the corpus.")
@click.option("--published", default=None, help="Add your own published-measurement rows (the corpus's columns).")
@click.option("--validate", "validate_dir", default=None, help="Hold out groups of these results and print the error.")
@click.option("--validate-published", is_flag=True, help="Hold out groups of the corpus and print the error.")
@click.option("--kind", type=click.Choice(["forward", "generation"]), default="forward", show_default=True,
              help="With --validate-published: forward passes, or generation against the published LLM rows.")
@click.option("--hold-out", type=click.Choice(["model", "resolution", "device", "accelerator", "stack", "generation"]),
              default=None, help="What each validation fold leaves out [--validate: model; --validate-published: "
                                 "accelerator].")
@click.option("--catalog", "catalog_file", default=None, help="A user catalog file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def predict_cmd(model: str | None, accelerator: str | None, instance: str | None, precision: str, batch: int,
                resolution: str | None, seq_len: int | None, prompt_len: int | None, output_len: int | None,
                tp: int, kv_precision: str | None, backend: str | None, stack: str | None,
                results_dir: str | None, published: str | None, validate_dir: str | None, validate_published: bool,
                kind: str,
                hold_out: str | None, catalog_file: str | None, as_json: bool) -> None:
    """Predict a model's latency on a catalog accelerator or instance, calibrated on published measurements."""
    from infercost.case import parse_resolution
    from infercost.commands.predict import Basis, Where, predict_on, validate_results

    cat = catalog_of(catalog_file)
    if validate_published and kind == "generation":
        return _validate_generation(hold_out or "accelerator", as_json)
    if validate_published:
        return _validate_published(hold_out or "accelerator", published, as_json)
    if validate_dir:
        return _validate_results(validate_results(validate_dir, cat, hold_out or "model"), hold_out or "model",
                                 as_json)
    if not model:
        raise UsageError("give a MODEL to predict, or --validate DIR, or --validate-published")
    height, width = parse_resolution(resolution) if resolution else (None, None)
    backend = deprecated("--stack", "--backend", stack) or backend
    if output_len or prompt_len:
        return _predict_generation(model, cat, Where(accelerator, instance), precision, batch, prompt_len,
                                   output_len, backend, Basis(results_dir, published), as_json,
                                   {"tp": tp, "kv_precision": kv_precision})
    if tp != 1 or kv_precision:
        raise UsageError("--tp and --kv-precision are for generation (with --prompt-len and --output-len)")
    data = predict_on(model, cat, Where(accelerator, instance), precision=precision, batch=batch,
                      size=(height, width) if height else seq_len, backend=backend, basis=Basis(results_dir, published))
    if as_json:
        return print_json(data)
    from infercost.units import fmt_bytes, fmt_seconds

    if not data.supported:
        return out.print(f"predicted: not supported: {data.note}")
    out.print(f"[bold]predicted[/] {model} on {data.accelerator} ({data.stack} {data.precision}, batch "
              f"{batch}, {data.size}): {fmt_seconds(data.latency_s)} "
              f"({fmt_seconds(data.latency_low_s)} to {fmt_seconds(data.latency_high_s)}), "
              f"{data.throughput_per_s:.1f}/s, needs {fmt_bytes(data.memory_needed_bytes)}"
              f"{'' if data.fits_in_memory is not False else ' (does NOT fit)'}")
    found = data.calibration
    basis = (f"{found['generation']} ({found['generation_rows']} corpus points), {found['stack']} "
             f"({found['stack_rows']} points)") if found else data.efficiency
    out.print(f"  calibrated on {basis}; band {fmt_seconds(data.latency_low_s)} to "
              f"{fmt_seconds(data.latency_high_s)} ({data.error_band_source})"
              + (f"; {data.note}" if data.note else ""), highlight=False)


def _predict_generation(model, cat, where, precision: str, batch: int, prompt_len: int | None,
                        output_len: int | None, backend: str | None, basis, as_json: bool, serving: dict) -> None:
    from infercost.commands.predict import predict_generation_on
    from infercost.units import fmt_bytes, fmt_seconds

    if not (prompt_len and output_len):
        raise UsageError("generation needs --prompt-len and --output-len")
    data = predict_generation_on(model, cat, where, precision=precision, batch=batch,
                                 prompt=prompt_len.single("--prompt-len"),
                                 output=output_len.single("--output-len"), backend=backend, basis=basis, **serving)
    if as_json:
        return print_json(data)
    g = data.generation
    fits = "" if g["fits_in_memory"] is not False else " (does NOT fit)"
    out.print(f"[bold]predicted[/] {model} on {data.accelerator} ({precision}, batch {batch}, prompt {prompt_len}, "
              f"{output_len} out): TTFT {fmt_seconds(g['ttft_s'])} ({fmt_seconds(g['ttft_low_s'])} to "
              f"{fmt_seconds(g['ttft_high_s'])}), TPOT {fmt_seconds(g['tpot_s'])} ({fmt_seconds(g['tpot_low_s'])} "
              f"to {fmt_seconds(g['tpot_high_s'])}, {g['decode_bound']}-bound), {g['output_tokens_per_s']:.4g} "
              f"output tokens/s; needs {fmt_bytes(g['memory_needed_bytes'])}"
              + (f" ({fmt_bytes(g['memory_per_device_bytes'])} on each of {g['tp']} devices)" if g.get("tp", 1) > 1
                 else "") + fits)
    if g.get("tp", 1) > 1:
        out.print(f"  split over {g['tp']} devices by tensor parallelism ({g['interconnect']}): all-reduces "
                  f"{fmt_seconds(g['all_reduce_per_step_s'])} of each decode step; {data.replicas} replica(s) "
                  f"per instance" if data.instance else
                  f"  split over {g['tp']} devices by tensor parallelism ({g['interconnect']}): all-reduces "
                  f"{fmt_seconds(g['all_reduce_per_step_s'])} of each decode step", highlight=False)
    out.print(f"  TTFT band: {g['ttft_band_source']}; TPOT band: {g['tpot_band_source']}", highlight=False)
    return None


def _validate_generation(hold_out: str, as_json: bool) -> None:
    from infercost.commands.generation_validation import validate

    with out.status(f"predicting the published LLM rows, each {hold_out}'s left out of the fit in turn "
                    "(about a minute)"):
        found = validate(hold_out)
    if as_json:
        return print_json(found)
    out.print(f"generation predicted against {found['points']} published rows, each {hold_out}'s rows with that "
              f"{hold_out} left out of the fit:", highlight=False)
    for name, rows in (*found["by_group"].items(), *(("metric " + m, r) for m, r in found["by_metric"].items()),
                       *(("scenario " + m, r) for m, r in found["by_scenario"].items())):
        out.print(f"  {name:28} {rows['points']:4d} rows: median error {rows['median_error']:.0%}, p90 "
                  f"{rows['p90_error']:.0%}, predicted/measured {rows['bias']:.2f}, {rows['band_coverage']:.0%} inside "
                  f"their band", highlight=False)
    out.print(f"overall: median error {found['median_error']:.0%}, p90 {found['p90_error']:.0%}; "
              f"{found['band_coverage']:.0%} inside their band", highlight=False)
    left = sum(found["left_out"].values())
    out.print(f"{left} rows left out: " + "; ".join(f"{n} {why}" for why, n in list(found["left_out"].items())[:4])
              + (" ..." if len(found["left_out"]) > 4 else ""), highlight=False, markup=False)
    return None


def _validate_published(hold_out: str, published: str | None, as_json: bool) -> None:
    from infercost.predict.published import validate

    found = validate(hold_out, published)
    if as_json:
        return print_json(found)
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
        return print_json(rows)
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
