"""`infercost simulate` and `infercost loadtest`: a request stream served, simulated from records or run for real.

CLI layer (cli).
"""

from __future__ import annotations

import click

from infercost import cli_params as p
from infercost.cli.base import catalog_of, cli, deprecated, handled, out, print_json
from infercost.errors import UsageError


@cli.command(name="simulate")
@click.option("--results", "results_dir", required=True, help="A results directory with the model's measurements.")
@click.option("--model", required=True, help="The model, as recorded.")
@click.option("--stack", default=None, help="backend:precision (default: the fastest at batch 1).")
@click.option("--device", default=None, help="Only results from this device.")
@click.option("--resolution", default=None, help="Only results at this resolution (default: the most measured).")
@click.option("--qps", type=p.QPS, required=True, help="Mean request rate.")
@click.option("--slo-ms", type=p.LATENCY_MS, default=None, help="Latency target in milliseconds (not generation).")
@click.option("--percentile", type=p.PERCENTILE, default=99.0, show_default=True, help="Percentile held to the target.")
@click.option("--prompt-len", type=p.PROMPT_LEN, default=None,
              help="Generation: prompt tokens, fixed (128) or a range (64:512).")
@click.option("--output-len", type=p.OUTPUT_LEN, default=None,
              help="Generation: output tokens, fixed or a range; makes it continuous "
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
                                    kv_budget, token_budget, resolve_price(catalog_of(catalog_file), instance,
                                                                           price_per_hour, spot=False), as_json)
    if slo_ms is None:
        raise UsageError("--slo-ms is needed (or, for a language model, --output-len with TTFT and TPOT targets)")
    traffic = deprecated("--arrivals", "--traffic", arrivals) or traffic
    target = ServingTarget(qps, slo_ms / 1e3, percentile, traffic)
    policy = Policy.named(batching, max_batch, max_delay_ms / 1e3)
    name, price = resolve_price(catalog_of(catalog_file), instance, price_per_hour, spot=False)
    curve = curve_from_records(load_records(results_dir), model, stack, device=device,
                               resolution=parse_resolution(resolution) if resolution else None)
    data = simulate_stream(curve, target, policy, replicas=replicas, price_per_hour=price, instance=name)
    if as_json:
        return print_json(data)
    from infercost.report.tables import serving_table

    out.print(f"{data.curve}: {qps:g} requests/s, p{percentile:g} target {slo_ms:g} ms", highlight=False)
    out.print(serving_table(data.comparison, priced=price is not None))
    if data.warning:
        out.print(f"[yellow]warning:[/] {data.warning}")
    if price is None:
        out.print("No price: pass --instance NAME or --price-per-hour X for the monthly cost.")


def _simulate_generation(results_dir: str, model: str, qps: float, prompt_len: str | None, output_len: str | None,
                         slo_ttft_ms: float | None, slo_tpot_ms: float | None, kv_budget: int | None,
                         token_budget: int, priced: tuple, as_json: bool) -> None:
    from infercost.commands.result_types import GenerationServed
    from infercost.commands.serving import simulate_generation
    from infercost.results import load_records
    from infercost.serving.continuous import GenerationTarget

    if not (prompt_len and output_len and slo_ttft_ms and slo_tpot_ms):
        raise UsageError("generation needs --prompt-len, --output-len, --slo-ttft-ms and --slo-tpot-ms")
    target = GenerationTarget(qps, prompt_len.one("--prompt-len"), output_len.one("--output-len"),
                              slo_ttft_ms / 1e3, slo_tpot_ms / 1e3)
    name, price = priced
    served = simulate_generation(load_records(results_dir), model, target, price_per_hour=price, kv_bytes=kv_budget,
                                 step_tokens=token_budget)
    data = GenerationServed(**served.to_dict(), instance=name)
    if as_json:
        return print_json(data)
    from infercost.units import fmt_seconds

    out.print(f"{model} ({data.stack}), continuous batching at {qps:g} requests/s: TTFT p50 "
              f"{fmt_seconds(data.ttft_p50_s)}, p99 {fmt_seconds(data.ttft_p99_s)}; TPOT p50 "
              f"{fmt_seconds(data.tpot_p50_s)}, p99 {fmt_seconds(data.tpot_p99_s)}; goodput "
              f"{data.goodput_per_s:.3g}/s", highlight=False)
    cost = (f"; {data.cost_per_million_output_tokens:.4g} USD per million output tokens"
            if data.cost_per_million_output_tokens else "; no price: pass --instance or --price-per-hour")
    out.print(f"one replica sustains {data.max_qps_under_slo:.3g} requests/s under p99 TTFT {slo_ttft_ms:g} ms "
              f"and TPOT {slo_tpot_ms:g} ms; replicas {data.replicas or 'none suffice'}{cost}", highlight=False)
    return None


def _loadtest_generation(model: str, qps: float, max_batch: int, duration: float, precision: str, device: str,
                         seed: int, prompt_len: str | None, output_len: str | None, as_json: bool) -> None:
    from infercost.commands.loadtest import LoadedEngine, LoadRun, generation_loadtest
    from infercost.grid import single_case
    from infercost.units import fmt_seconds

    if not (prompt_len and output_len):
        raise UsageError("a generation load test needs both --prompt-len and --output-len")
    prompt, output = prompt_len.one("--prompt-len"), output_len.one("--output-len")
    case = single_case(model, "torch", device, precision=precision)
    run = LoadRun(duration, seed=seed)
    data = generation_loadtest(LoadedEngine(case, prompt, output, max_batch, seed), qps, run)
    if as_json:
        return print_json(data)
    out.print(f"{model} torch {precision}, continuous batching (batch <= {max_batch}), prompt {prompt_len}, output "
              f"{output_len}: {qps:g} requests/s for {duration:g} s ({data.requests} requests), mean decode "
              f"batch {data.mean_decode_batch:.2f}", highlight=False)
    for name in ("measured", "simulated"):
        row = getattr(data, name)
        out.print(f"  {name + ':':11} TTFT p50 {fmt_seconds(row['ttft_p50_s'])}  p99 {fmt_seconds(row['ttft_p99_s'])}"
                  f"   TPOT p50 {fmt_seconds(row['tpot_p50_s'])}  p99 {fmt_seconds(row['tpot_p99_s'])}",
                  highlight=False)
    ci = data.measured_ci95
    out.print(f"  measured p99s' 95% intervals: TTFT {fmt_seconds(ci['ttft_p99_ci95_s'][0])} to "
              f"{fmt_seconds(ci['ttft_p99_ci95_s'][1])}, TPOT {fmt_seconds(ci['tpot_p99_ci95_s'][0])} to "
              f"{fmt_seconds(ci['tpot_p99_ci95_s'][1])}", highlight=False)
    out.print(f"  (simulated on the step cost profiled just before; one replica's capacity "
              f"{data.capacity_per_s:.3g} requests/s)", highlight=False)
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
@click.option("--prompt-len", type=p.PROMPT_LEN, default=None,
              help="A language model: prompt tokens, fixed (32) or a range (16:64); with --output-len, requests are "
                   "generated with continuous batching (--max-batch sizes the KV cache).")
@click.option("--output-len", type=p.OUTPUT_LEN, default=None,
              help="A language model: output tokens, fixed or a range.")
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
    case = single_case(model, backend, device, precision=precision, resolution=resolution)
    policy = Policy.named(batching, max_batch, max_delay_ms / 1e3)
    data = loadtest(case, ServingTarget(qps, slo_ms / 1e3 if slo_ms else None), policy,
                    run=LoadRun(duration, warmup, blocks, seed))
    if as_json:
        return print_json(data)
    from infercost.units import fmt_seconds

    out.print(f"{model} {backend} {precision} {case.size_label}, {data.policy}, {qps:g} requests/s "
              f"for {duration:g} s ({data.requests} requests)", highlight=False)
    out.print(f"  measured:  p50 {fmt_seconds(data.p50_s)}  p90 {fmt_seconds(data.p90_s)}  "
              f"p99 {fmt_seconds(data.p99_s)} (95% interval {fmt_seconds(data.p99_ci95_s[0])} to "
              f"{fmt_seconds(data.p99_ci95_s[1])})  throughput {data.throughput_per_s:.1f}/s  "
              f"utilization {data.utilization:.0%}  mean batch {data.mean_batch:.2f}", highlight=False)
    sim = data.simulated
    out.print(f"  simulated: p50 {fmt_seconds(sim['p50_s'])}  p90 {fmt_seconds(sim['p90_s'])}  "
              f"p99 {fmt_seconds(sim['p99_s'])}  (service times from the "
              f"{'warm-up' if warmup else 'latency curve measured just before'}"
              + (f", in {data.blocks} blocks alternating with the measured ones" if data.blocks > 1 else "")
              + ")",
              highlight=False)
    s = data.scenarios
    out.print(f"  MLPerf SingleStream p90 {fmt_seconds(s['SingleStream']['p90_latency_s'])}; Offline "
              f"{s['Offline']['throughput_per_s']:.1f}/s at batch {s['Offline']['at_batch']}; Server at {qps:g} qps: "
              f"p99 {fmt_seconds(s['Server']['p99_s'])}"
              + (f", target {'met' if s['Server']['slo_met'] else 'missed'}" if slo_ms else ""), highlight=False)
