"""Rich tables of records for the terminal.

Domain layer (report).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from infercost.results.record import Record
from infercost.serving.answer import band_text
from infercost.units import fmt_bytes, fmt_seconds


def records_table(records: Sequence[Record], title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold")
    for column in ("model", "backend", "device", "precision", "batch", "size", "status",
                   "median", "p99", "throughput/s", "memory", "note"):
        table.add_column(column, justify="right" if column in ("batch", "median", "p99", "throughput/s",
                                                               "memory") else "left")
    for r in records:
        stats = r.stats
        note = r.error if r.error else "; ".join(r.warnings)
        if r.generation and not r.error:
            g = r.generation
            note = (f"TTFT {fmt_seconds(g['ttft_s'])}, TPOT {fmt_seconds(g.get('tpot_s'))}, "
                    f"{g['output_tokens_per_s']:.3g} tok/s" + (f"; {note}" if note else ""))
        table.add_row(escape(r.model), r.backend, r.device, r.stack.get("precision", r.precision), str(r.batch_size),
                      r.size_label, _status(r.status), fmt_seconds(r.latency_s),
                      fmt_seconds(stats.p99_s if stats else None),
                      f"{r.throughput_per_s:.1f}" if r.throughput_per_s else "-",
                      fmt_bytes(r.peak_memory_bytes), escape((note or "")[:70]))
    return table


def _status(status: str) -> str:
    color = {"ok": "green", "oom": "yellow", "unsupported": "yellow", "timeout": "red", "error": "red"}
    return f"[{color.get(status, 'white')}]{status}[/]"


def cost_table(rows: Sequence[dict], title: str | None = None) -> Table:
    """Priced results: one row per ok point, unpriced rows saying why."""
    table = Table(title=title, header_style="bold")
    for column in ("model", "backend", "precision", "batch", "size", "instance", "USD/h", "latency",
                   "throughput/s", "USD / 1M inferences", "monthly capacity", "note"):
        table.add_column(column)
    for r in rows:
        priced = r.get("priced")
        table.add_row(escape(r["model"]), r["backend"], r["precision"], str(r["batch_size"]),
                      escape(r["size"]), escape(str(r.get("instance") or "-")),
                      f"{r['price_per_hour_usd']:.4g}" if priced else "-", fmt_seconds(r["latency_s"]),
                      f"{r['throughput_per_s']:.1f}" if priced else "-",
                      f"{r['cost_per_million_usd']:.4g}" if priced else "-",
                      f"{r['monthly_capacity']:.3g}" if priced else "-", "" if priced else r["reason"])
    return table


def selection_line(selection: dict) -> str:
    """One line saying which stack --backend auto chose and why."""
    winner = selection.get("winner")
    tried = ", ".join(f"{t['backend']} {t['precision']} "
                      + (fmt_seconds(t["latency_s"]) + ("" if t["accuracy_ok"] else " (failed output check)")
                         if t["status"] == "ok" else t["status"]) for t in selection["tried"])
    if not winner:
        return f"auto: no stack passed; tried {tried}"
    speedup = selection.get("speedup_vs_torch_fp32")
    faster = f", {speedup:.1f}x torch fp32" if speedup else ""
    return f"auto: {winner['backend']} {winner['precision']} won at {selection['resolution']}{faster}; tried {tried}"


def study_summary_table(rows: Sequence[dict]) -> Table:
    table = Table(title="Study summary", header_style="bold")
    for column in ("model", "fastest stack", "batch-1 latency", "best throughput/s", "at batch", "largest batch",
                   "largest resolution", "first out-of-memory"):
        table.add_column(column)
    for row in rows:
        if not row.get("fastest_stack"):
            table.add_row(escape(row["model"]), "-", "-", "-", "-", "-", "-", row.get("note", ""))
            continue
        table.add_row(escape(row["model"]), row["fastest_stack"],
                      f"{fmt_seconds(row['batch1_latency_s'])} at {row['at_resolution']}",
                      f"{row['best_throughput_per_s']:.1f} ({row['best_throughput_stack']})",
                      str(row["best_throughput_batch"]), str(row["largest_batch"]), row["largest_resolution"],
                      "; ".join(row["first_oom"]) or "-")
    return table


def serving_table(rows: Sequence[dict], priced: bool) -> Table:
    """Batch-1 serving against dynamic batching at one rate and target, side by side."""
    table = Table(header_style="bold")
    for column in ("policy", "p50", "p99", "utilization", "max qps / replica", "replicas", "target met",
                   "USD / 1M inferences", "monthly USD"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["policy"], fmt_seconds(r["p50_s"]), fmt_seconds(r["p99_s"]), f"{r['utilization']:.0%}",
                      f"{r['max_qps_under_slo']:.1f}", str(r["replicas"] or "-"),
                      "yes" if r["feasible"] else f"no{': ' + r['reason'] if r.get('reason') else ''}",
                      f"{r['cost_per_inference_usd'] * 1e6:.4g}" if priced and r["cost_per_inference_usd"] else "-",
                      f"{r['monthly_cost_usd']:,.0f}" if priced and r["monthly_cost_usd"] else "-")
    return table


def fits_table(fits: Sequence) -> Table:
    """Latency = intercept + slope x (batch size or megapixels): the slope is the marginal cost."""
    table = Table(title="Fits: latency = intercept + slope x size", header_style="bold")
    for column in ("model", "stack", "against", "held fixed", "intercept", "slope", "R²", "points"):
        table.add_column(column)
    for f in fits:
        unit = {"batch_size": "per image", "megapixels": "per MP", "tokens": "per token"}[f.x]
        slope = f"{fmt_seconds(f.slope_s)} {unit}"
        if f.quadratic_s is not None:  # attention: the cost grows with the square of the length
            slope += f" + {f.quadratic_s * 1e9:.3g} ns per token² (R² {f.linear_r2:.3f} without)"
        table.add_row(escape(f.model), f"{f.backend} {f.precision}", f.x.replace("_", " "), f.fixed,
                      fmt_seconds(f.intercept_s),
                      slope, f"{f.r2:.3f}", str(f.points))
    return table


def models_table(rows: Sequence[dict]) -> Table:
    """The zoo: name, task, inputs, default size, parameters, GFLOPs."""
    table = Table(header_style="bold")
    for column in ("name", "task", "inputs", "size", "params", "GFLOPs", "description"):
        table.add_column(column)
    for row in rows:
        size = f"seq {row['default_seq_len']}" if row["default_seq_len"] else str(row["default_resolution"])
        names = ", ".join(i["name"] for i in row["inputs"])
        inputs = f"{names} {row['inputs'][0]['dtype']}[{', '.join(map(str, row['inputs'][0]['shape']))}]"
        table.add_row(row["name"], row["task"], escape(inputs), size,
                      f"{row['params']:,}" if row["params"] is not None else "-",
                      f"{row['gflops']:.2f}" if row["gflops"] is not None else "-", escape(row["description"]))
    return table


def language_models_table(rows: Sequence[dict]) -> Table:
    """The language models known by shape: parameters (active for a mixture of experts), attention, KV cache."""
    table = Table(header_style="bold")
    for column in ("name", "type", "params", "active", "layers", "heads (kv)", "experts", "attention",
                   "KV/token (16-bit)"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], escape(row["model_type"]), f"{row['params'] / 1e9:.2f}B",
                      f"{row['active_params'] / 1e9:.2f}B", str(row["layers"]),
                      f"{row['heads']} ({row['kv_heads']})",
                      row["experts"] or "-", row["attention"],
                      f"{row['kv_cache_bytes_per_token_16bit'] / 1024:.0f} KiB")
    return table


def backends_table(rows: Sequence[dict]) -> Table:
    """The runtimes here: available or why not, version, devices, precisions."""
    table = Table(header_style="bold")
    for column in ("backend", "available", "version", "devices", "precisions", "note"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], "yes" if row["available"] else "[yellow]no[/]", row["version"] or "-",
                      ", ".join(row["devices"]) or "-", ", ".join(row["precisions"]), escape(row["reason"] or ""))
    return table


def catalog_table(rows: Sequence) -> Table:
    """Catalog instances, each with its price, status, as-of date and source."""
    table = Table(header_style="bold")
    for column in ("provider", "instance", "accelerator", "vCPUs", "memory GiB", "USD/h", "spot USD/h", "status",
                   "as of", "source"):
        table.add_column(column)
    for r in rows:
        chip = f"{r.accelerator_count}x {r.accelerator}" if r.accelerator else f"CPU: {r.cpu or '?'}"
        table.add_row(r.provider, escape(r.name), escape(chip), str(r.vcpus or "-"),
                      f"{r.memory_gib:g}" if r.memory_gib else "-", f"{r.price_per_hour_usd:.4g}",
                      f"{r.spot_price_per_hour_usd:.4g}" if r.spot_price_per_hour_usd else "-", r.status, r.as_of,
                      escape(r.source[:60]))
    return table


def profile_table(layers: Sequence[dict], total: dict) -> Table:
    """A model's profile, layer by layer, with its totals."""
    table = Table(header_style="bold")
    for column in ("layer", "kind", "MFLOPs", "weights", "activations", "FLOP/byte", "params"):
        table.add_column(column, justify="left" if column in ("layer", "kind") else "right")
    for layer in layers:
        table.add_row(layer["name"], layer["kind"], f"{layer['flops'] / 1e6:.1f}", fmt_bytes(layer["weight_bytes"]),
                      fmt_bytes(layer["activation_bytes"]), f"{layer['intensity']:.1f}", f"{layer['params']:,}")
    table.add_row("total", f"{total['layers']} layers", f"{total['flops'] / 1e6:.1f}",
                  fmt_bytes(total["weight_bytes"]), fmt_bytes(total["activation_bytes"]),
                  f"{total['intensity']:.1f}", f"{total['params']:,}", style="bold")
    return table


def recommend_table(shown: Sequence[dict], title: str, top: int) -> Table:
    """The cheapest feasible candidates: instance, precision, batching, replicas, p99, cost and where it came from."""
    table = Table(header_style="bold", title=title)
    for column in ("instance", "accelerator", "stack", "precision", "policy", "replicas", "p99", "USD/1M",
                   "USD/month", "source"):
        table.add_column(column)
    for r in [r for r in shown if r["feasible"]][:top]:
        band = band_text(r) + (" (tie)" if r.get("tie_with_cheapest") else "")
        table.add_row(escape(r["instance"]), escape(r["accelerator"]), escape((r.get("stack") or "-").split(" (")[0]),
                      r["precision"], r["batch_policy"],
                      str(r["replicas"]), f"{r['p99_s'] * 1e3:.1f} ms", f"{r['cost_per_inference_usd'] * 1e6:.3g}",
                      f"{r['monthly_cost_usd']:,.0f}", band)
    return table


def pay_per_use_table(rows: Sequence[dict]) -> Table:
    """The serverless plans: each rate, its unit, date and source."""
    table = Table(header_style="bold")
    for column in ("plan", "rate", "USD", "unit", "as of", "source"):
        table.add_column(column)
    for row in rows:
        for i, rate in enumerate(row["rates"]):
            table.add_row(escape(row["plan"]) if i == 0 else "", rate["what"], f"{rate['price_usd']:.4g}",
                          escape(rate["unit"]), rate["as_of"], escape(rate["source"]))
    return table


def generation_recommend_table(shown: Sequence[dict], title: str, top: int) -> Table:
    """Instances ranked by cost per million output tokens under TTFT and TPOT targets."""
    table = Table(header_style="bold", title=title)
    for column in ("instance", "accelerator", "precision", "N per replica", "instances", "TTFT p99", "TPOT p99",
                   "max qps/replica", "USD/month", "USD/1M out tokens", "source"):
        table.add_column(column)
    for r in [r for r in shown if r["feasible"]][:top]:
        table.add_row(escape(r["instance"]), escape(r["accelerator"]), r["precision"], str(r.get("tp") or 1),
                      str(r["replicas"]),
                      fmt_seconds(r["ttft_p99_s"]), fmt_seconds(r["tpot_p99_s"]), f"{r['max_qps_per_replica']:.3g}",
                      f"{r['monthly_cost_usd']:,.0f}", f"{r['cost_per_million_output_tokens']:.3g}", band_text(r))
    return table
