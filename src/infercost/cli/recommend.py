"""`infercost recommend`: every catalog instance ranked for a model under a target, and the answer.

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import catalog_of, cli, handled, out, print_json, sporadic_options
from infercost.errors import UsageError

DEFAULT_PRECISIONS = "fp32,fp16,bf16,int8"
LLM_PRECISIONS = ("fp16", "bf16", "fp8", "w4a16")  # what language models are served in


@cli.command(name="recommend")
@click.option("--model", required=True)
@click.option("--resolution", default=None,
              help="e.g. 224 or 512x384 (default: the size most measured in --results, else the model's).")
@click.option("--seq-len", type=p.BATCH, default=None,
              help="A token model's sequence length (default: the one most measured in --results, else its own).")
@click.option("--slo-ms", type=p.LATENCY_MS, default=None, help="Latency target in milliseconds.")
@click.option("--percentile", type=p.PERCENTILE, default=99.0, show_default=True)
@click.option("--qps", type=p.QPS, default=None, help="Mean request rate.")
@click.option("--prompt-len", type=p.PROMPT_LEN, default=None,
              help="Generation: prompt tokens, fixed or a range (64:512).")
@click.option("--output-len", type=p.OUTPUT_LEN, default=None,
              help="Generation: output tokens; ranks by cost per million of them.")
@click.option("--slo-ttft-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-to-first-token target.")
@click.option("--slo-tpot-ms", type=p.LATENCY_MS, default=None, help="Generation: p99 time-per-output-token target.")
@click.option("--monthly-requests", type=p.MONTHLY_REQUESTS, default=None, help="Requests a month (instead of --qps).")
@click.option("--precision", "precisions", default=None,
              help="Precisions to consider [default: fp32,fp16,bf16,int8; a language model with --output-len: "
                   "fp16,bf16,fp8,w4a16].")
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
@sporadic_options
@handled
def recommend_cmd(model: str, resolution: str | None, seq_len: int | None, slo_ms: float | None, percentile: float,
                  qps: float | None, prompt_len: str | None, output_len: str | None, slo_ttft_ms: float | None,
                  slo_tpot_ms: float | None, monthly_requests: float | None, precisions: str, traffic: str,
                  providers: str | None, spot: bool,
                  results_dir: str | None, instance: str | None, price_per_hour: float | None, include_retired: bool,
                  top: int, catalog_file: str | None, as_json: bool, sporadic) -> None:
    """Rank every catalog instance for serving MODEL under a latency target: cost, replicas, measured or predicted;
    then the answer for steady and for sporadic load, as the report and summary.md give it."""
    from infercost.case import parse_resolution
    from infercost.commands.answer import answer_for
    from infercost.commands.cost import machine_prices
    from infercost.commands.recommend import Candidates, Recommendation, Workload
    from infercost.grid import split_list
    from infercost.results import load_records
    from infercost.serving.answer import Assumptions, answer_lines
    from infercost.serving.target import ServingTarget

    if prompt_len or output_len:
        return _recommend_generation(model, qps, prompt_len, output_len, slo_ttft_ms, slo_tpot_ms, precisions,
                                     Candidates(tuple(split_list(providers)) or None, include_retired, spot),
                                     catalog_of(catalog_file), top, as_json)
    if slo_ms is None:
        raise UsageError("--slo-ms is needed (or, for a language model, --output-len with TTFT and TPOT targets)")
    target = ServingTarget.from_volume(slo_ms / 1e3, qps, monthly_requests, percentile, traffic)
    height, width = parse_resolution(resolution) if resolution else (None, None)
    cat = catalog_of(catalog_file)
    records = load_records(results_dir) if results_dir else []
    prices = machine_prices(cat, records, instance, price_per_hour=price_per_hour, spot=spot) if results_dir else None
    if seq_len is not None or resolution:
        from infercost.models import check_size_axis

        check_size_axis(model, seq=seq_len is not None, resolution=bool(resolution))
    if resolution or seq_len or not records:
        work = Workload(model, height, width, tuple(split_list(precisions or DEFAULT_PRECISIONS)), seq=seq_len)
    else:  # the size the results measured most, as the report answers it
        work = Workload.served(records, model, tuple(split_list(precisions or DEFAULT_PRECISIONS)))
    found = answer_for(cat, work, records, assumptions=Assumptions(target, sporadic, ("--qps", "--slo-ms")),
                       results=results_dir, prices=prices,
                       candidates=Candidates(tuple(split_list(providers)) or None, include_retired, spot))
    shown = Recommendation(found.ranking, found.sentence).shown(top)
    if as_json:
        return print_json(shown)
    from infercost.report.tables import recommend_table

    out.print(recommend_table([c.to_dict() for c in shown], f"{found.label}: {target.describe()}", top))
    infeasible = [c for c in shown if not c.feasible]
    if infeasible:
        out.print(f"{len(infeasible)} cannot meet it, e.g. " + "; ".join(
            f"{c.instance}: {c.reason}" for c in infeasible[:4]), highlight=False, markup=False)
    out.print(found.sentence, highlight=False, markup=False)
    for line in answer_lines(found):
        out.print(line, highlight=False, markup=False)


def _recommend_generation(model: str, qps: float | None, prompt_len: str | None, output_len: str | None,
                          slo_ttft_ms: float | None, slo_tpot_ms: float | None, precisions: str, candidates,
                          cat, top: int, as_json: bool) -> None:
    from infercost.commands.recommend import recommend_generation, shown_rows
    from infercost.commands.result_types import GenerationCandidate
    from infercost.grid import split_list
    from infercost.serving.continuous import GenerationTarget

    if not (qps and prompt_len and output_len and slo_ttft_ms and slo_tpot_ms):
        raise UsageError("generation needs --qps, --prompt-len, --output-len, --slo-ttft-ms and --slo-tpot-ms")
    target = GenerationTarget(qps, prompt_len.one("--prompt-len"), output_len.one("--output-len"),
                              slo_ttft_ms / 1e3, slo_tpot_ms / 1e3)
    wanted = tuple(p for p in split_list(precisions) if p != "int8") or ("fp32",) if precisions else LLM_PRECISIONS
    rows = recommend_generation(cat, model, target, precisions=wanted, candidates=candidates)
    shown = [GenerationCandidate(**r) for r in shown_rows(rows, top)]
    if as_json:
        return print_json(shown)
    from infercost.report.tables import generation_recommend_table

    title = (f"{model}: {qps:g} requests/s, prompt {prompt_len}, output {output_len}, p99 TTFT {slo_ttft_ms:g} ms, "
             f"TPOT {slo_tpot_ms:g} ms")
    out.print(generation_recommend_table([c.to_dict() for c in shown], title, top))
    feasible = [c for c in shown if c.feasible]
    if feasible:
        win = feasible[0]
        out.print(f"{win.instance} ({win.accelerator}, {win.precision}"
                  + (f", {win.tp} per replica" if (win.tp or 1) > 1 else "") + f") is cheapest: {win.replicas} x at "
                  f"{win.monthly_cost_usd:,.0f} USD a month, {win.cost_per_million_output_tokens:.3g} USD per "
                  f"million output tokens (predicted, +-{win.error_band:.0%}: the throughput band validated on the "
                  f"published LLM rows, or a stated +-50% where the chip is a CPU).", highlight=False)
    else:
        out.print("No candidate meets both targets at this rate.")
    return None
