"""The report: one self-contained HTML page (plotly inlined, no network) and summary.md, from stored files only.

Everything a user wrote (model names, file names, plan fields) is escaped: text in the page through html.escape,
data inside script tags with '<' written as \\u003c so no string can close the tag.

Domain layer (report).
"""

from __future__ import annotations

import base64
import html
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from infercost.report.figures import batch1_points
from infercost.results.record import Record, stack_label
from infercost.results.store import machine_id
from infercost.study.fits import Fit, fits
from infercost.study.summary import summarize_models
from infercost.units import fmt_bytes, fmt_seconds

e = html.escape


def _script_json(data: object) -> str:
    return json.dumps(data, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _figure(fig_id: str, traces: list[dict], layout: dict) -> str:
    spec = _script_json({"data": traces, "layout": {"height": 380, "margin": {"t": 40}, **layout}})
    return (f'<div class="figure" id="{fig_id}"></div>'
            f'<script>(function(){{var s={spec};Plotly.newPlot("{fig_id}",s.data,s.layout,'
            f'{{responsive:true,displaylogo:false}});}})();</script>')


def throughput_figure(records: Sequence[Record]) -> str:
    traces = []
    lines = defaultdict(list)
    for r in records:
        if r.ok and r.throughput_per_s:
            lines[(r.model, stack_label(r), r.size_label)].append((r.batch_size, r.throughput_per_s))
    for (model, stack, size), points in sorted(lines.items()):
        if len(points) > 1:
            points.sort()
            traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{model} {stack} {size}",
                           "x": [p[0] for p in points], "y": [p[1] for p in points]})
    return _figure("fig-throughput", traces, {"title": {"text": "Throughput against batch size"},
                                              "xaxis": {"title": {"text": "batch size"}, "type": "log"},
                                              "yaxis": {"title": {"text": "images / s"}}})


def batch1_figure(records: Sequence[Record]) -> str:
    best = batch1_points(records)
    traces = []
    for stack in sorted({s for _, s in best}):
        models = sorted(m for m, s in best if s == stack)
        traces.append({"type": "bar", "name": stack, "x": models,
                       "y": [best[(m, stack)].latency_s * 1e3 for m in models]})
    return _figure("fig-batch1", traces, {"title": {"text": "Batch-1 latency by model and stack"}, "barmode": "group",
                                          "yaxis": {"title": {"text": "ms"}, "type": "log"}})


def megapixel_figure(records: Sequence[Record], found: Sequence[Fit]) -> str:
    traces = []
    groups = defaultdict(list)
    for r in records:
        if r.ok:
            groups[(r.model, r.backend, r.precision, r.batch_size)].append((r.megapixels, r.latency_s))
    for (model, backend, precision, batch), points in sorted(groups.items()):
        if len({p[0] for p in points}) < 2:
            continue
        points.sort()
        traces.append({"type": "scatter", "mode": "markers", "name": f"{model} {backend} {precision} b{batch}",
                       "x": [p[0] for p in points], "y": [p[1] for p in points]})
        fit = next((f for f in found if (f.model, f.backend, f.precision, f.x, f.fixed) ==
                    (model, backend, precision, "megapixels", f"batch {batch}")), None)
        if fit:
            xs = [0, points[-1][0]]
            traces.append({"type": "scatter", "mode": "lines", "name": f"fit {fit.slope_s:.3g} s/MP R²={fit.r2:.3f}",
                           "x": xs, "y": [fit.intercept_s + fit.slope_s * x for x in xs], "line": {"dash": "dot"}})
    return _figure("fig-megapixels", traces, {"title": {"text": "Latency against megapixels, with fitted lines"},
                                              "xaxis": {"title": {"text": "megapixels"}},
                                              "yaxis": {"title": {"text": "seconds"}}})


def peak_figure(records: Sequence[Record]) -> str:
    rows = [r for r in records if r.ok and r.fraction_of_peak]
    traces = [{"type": "bar", "name": "fraction of probed peak",
               "x": [f"{r.model} {stack_label(r)} b{r.batch_size} {r.size_label}" for r in rows],
               "y": [r.fraction_of_peak for r in rows]}]
    return _figure("fig-peak", traces, {"title": {"text": "Stacks against the device's probed peak"},
                                        "yaxis": {"title": {"text": "fraction of peak"}, "tickformat": ".0%"}})


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "") -> str:
    head = "".join(f"<th>{e(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def machines_section(records: Sequence[Record]) -> str:
    seen = {}
    for r in records:
        seen.setdefault(machine_id(r.env), r.env)
    rows = [(mid, env.get("node_kind") or "-", env.get("host"), env.get("cpu_model"), env.get("cpu_cores"),
             fmt_bytes(env.get("ram_bytes")),
             ", ".join(g.get("name", "") for g in env.get("gpus") or []) or "-", env.get("instance_type") or "-",
             env.get("libraries", {}).get("torch", "-")) for mid, env in seen.items()]
    return _table(("machine", "node kind", "host", "CPU", "cores", "RAM", "GPUs", "instance", "torch"), rows)


def model_tables(records: Sequence[Record]) -> str:
    parts = []
    for model in sorted({r.model for r in records}):
        rows = [(r.backend, r.device, r.precision, r.batch_size, r.size_label, r.status,
                 fmt_seconds(r.latency_s), fmt_seconds(r.stats.p99_s if r.stats else None),
                 f"{r.throughput_per_s:.1f}" if r.throughput_per_s else "-", fmt_bytes(r.peak_memory_bytes),
                 r.error or "; ".join(r.warnings)) for r in records if r.model == model]
        parts.append(f"<h3>{e(model)}</h3>" + _table(
            ("backend", "device", "precision", "batch", "resolution", "status", "median", "p99", "throughput/s",
             "memory", "note"), rows))
    return "".join(parts)


def warnings_section(records: Sequence[Record], extra: Sequence[str]) -> list[str]:
    notes = [f"{r.model} {stack_label(r)} b{r.batch_size} {r.size_label}: {w}" for r in records for w in r.warnings]
    notes += [f"{r.model} {stack_label(r)}: out of memory at batch {r.batch_size}, {r.size_label}"
              for r in records if r.status == "oom"]
    return notes + list(extra)


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}
th{background:#f3f3f3}.figure{margin:1em 0}h2{border-bottom:1px solid #ddd;padding-bottom:4px}
"""


def build_report(directory: str | Path, records: Sequence[Record], cost_rows: Sequence[dict],
                 serving_rows: Sequence[dict], recommendations: Sequence[dict], sentence: str,
                 extra_warnings: Sequence[str]) -> str:
    import plotly.offline

    found = fits(records)
    raw = base64.b64encode("".join(r.to_json() + "\n" for r in records).encode()).decode()
    cost_table = _table(("instance", "source", "stack", "precision", "batch", "latency", "USD / 1M inferences",
                         "error band"), [(c["instance"], c["source"], c["stack"], c["precision"], c["batch_size"],
                                          fmt_seconds(c["latency_s"]), f"{c['cost_per_million_usd']:.4g}",
                                          c["error_band"]) for c in cost_rows], "costs")
    serving = _table(("policy", "qps", "p50", "p99", "replicas", "max qps / replica", "monthly USD"),
                     [(s["policy"], s["qps"], fmt_seconds(s["p50_s"]), fmt_seconds(s["p99_s"]), s["replicas"],
                       f"{s['max_qps_under_slo']:.1f}", f"{s['monthly_cost_usd']:,.0f}" if s["monthly_cost_usd"]
                       else "-") for s in serving_rows])
    recs = _table(("instance", "accelerator", "precision", "policy", "replicas", "USD/month", "source"),
                  [(r["instance"], r["accelerator"], r["precision"], r["batch_policy"], r["replicas"],
                    f"{r['monthly_cost_usd']:,.0f}", r["source"]) for r in recommendations if r["feasible"]][:10])
    summary = _table(("model", "fastest stack", "batch-1 latency", "best throughput/s", "largest batch",
                      "largest resolution"),
                     [(s["model"], s.get("fastest_stack") or "-", fmt_seconds(s.get("batch1_latency_s")),
                       f"{s['best_throughput_per_s']:.1f}" if s.get("best_throughput_per_s") else "-",
                       s.get("largest_batch", "-"), s.get("largest_resolution", "-"))
                      for s in summarize_models(records)])
    warn = "".join(f"<li>{e(w)}</li>" for w in warnings_section(records, extra_warnings)) or "<li>none</li>"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>infercost report: {e(str(directory))}</title><style>{_STYLE}</style>
<script>{plotly.offline.get_plotlyjs()}</script></head><body>
<h1>infercost report</h1><p>{len(records)} records from <code>{e(str(directory))}</code></p>
<h2>Machines measured</h2>{machines_section(records)}
<h2>Summary</h2>{summary}
<h2>Figures</h2>{throughput_figure(records)}{batch1_figure(records)}{megapixel_figure(records, found)}
{peak_figure(records)}
<h2>Cost per inference across the catalog</h2><p>At full load, from the source column: measured on this machine, or
predicted for catalog instances (the ten cheapest per model, batch 8, fp32) with their error band.</p>{cost_table}
<h2>Batch-1 against dynamic batching</h2>{serving}
<h2>Recommendations</h2>{recs}<p>{e(sentence)}</p>
<h2>Warnings</h2><ul>{warn}</ul>
<h2>Per model</h2>{model_tables(records)}
<h2>Raw data</h2><p><a id="raw-download" download="results.jsonl"
href="data:application/x-ndjson;base64,{raw}">results.jsonl</a> ({len(records)} records)</p>
</body></html>"""


def summary_markdown(records: Sequence[Record], sentence: str) -> str:
    lines = ["# infercost summary", "", "| model | fastest stack | batch-1 latency | best throughput/s |",
             "|---|---|---|---|"]
    for s in summarize_models(records):
        if s.get("fastest_stack"):
            lines.append(f"| {s['model']} | {s['fastest_stack']} | {fmt_seconds(s['batch1_latency_s'])} | "
                         f"{s['best_throughput_per_s']:.1f} |")
    lines += ["", sentence, ""]
    return "\n".join(lines)
