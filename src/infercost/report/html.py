"""The report: one self-contained HTML page (plotly inlined, no network) and summary.md, from stored files only.

Everything a user wrote (model names, file names, plan fields) is escaped: text in the page through html.escape,
data inside script tags with '<' written as \\u003c so no string can close the tag.

Domain layer (report).
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from infercost.report.figures import batch1_points
from infercost.results.record import Record, stack_label
from infercost.results.store import machine_id
from infercost.serving.answer import ModelAnswer, answer_lines, band_text
from infercost.study.fits import Fit, fits
from infercost.study.summary import summarize_models
from infercost.units import fmt_bytes, fmt_seconds

e = html.escape


def _script_json(data: object) -> str:
    return json.dumps(data, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def stack_colours(records: Sequence[Record]) -> dict[str, str]:
    """One colour per stack, the same in every figure of the page."""
    stacks = sorted({stack_label(r) for r in records if r.ok})
    return {stack: PALETTE[i % len(PALETTE)] for i, stack in enumerate(stacks)}


def _figure(fig_id: str, traces: list[dict], layout: dict, height: int = 380) -> str:
    """A plotly figure; none at all when it has nothing to draw (a figure is never drawn empty)."""
    if not traces:
        return ""
    base = {"height": height, "margin": {"t": 40, "r": 10}, "legend": {"font": {"size": 10}},
            "xaxis": {"automargin": True}, "yaxis": {"automargin": True}}
    merged = {**base, **layout, "xaxis": {**base["xaxis"], **layout.get("xaxis", {})},
              "yaxis": {**base["yaxis"], **layout.get("yaxis", {})}}
    spec = _script_json({"data": traces, "layout": merged})
    return (f'<div class="figure" id="{fig_id}"></div>'
            f'<script>(function(){{var s={spec};Plotly.newPlot("{fig_id}",s.data,s.layout,'
            f'{{responsive:true,displaylogo:false}});}})();</script>')


def _log_axis(values: Sequence[float]) -> dict:
    """A log axis whose labels don't crowd and read in full: 1, 2 and 5 of each decade over a short span, 1 of
    each decade beyond (plotly's own minor labels are a bare '2' or '5')."""
    values = [v for v in values if v and v > 0]
    if not values:
        return {"type": "log"}
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    steps = (1, 2, 5) if high - low <= 3 else (1,)
    bottom, top = min(values) / 3, max(values) * 1.5  # room below the least value, so a bar shows its height
    ticks = [m * 10.0**k for k in range(low - 1, high + 1) for m in steps if bottom <= m * 10.0**k <= top]
    return {"type": "log", "tickvals": ticks, "ticktext": [f"{t:,.4g}" for t in ticks],
            "range": [math.log10(bottom), math.log10(top)]}


def throughput_figure(records: Sequence[Record], colours: dict[str, str]) -> str:
    lines = defaultdict(list)
    for r in records:
        if r.ok and r.throughput_per_s:
            lines[(r.model, stack_label(r), r.size_label)].append((r.batch_size, r.throughput_per_s))
    models = sorted({key[0] for key in lines})
    traces = []
    for (model, stack, size), points in sorted(lines.items()):
        if len(points) > 1:
            points.sort()
            traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{model} {stack} {size}",
                           "legendgroup": stack, "x": [p[0] for p in points], "y": [p[1] for p in points],
                           "line": {"color": colours[stack], "dash": DASHES[models.index(model) % len(DASHES)]},
                           "marker": {"color": colours[stack]}})
    return _figure("fig-throughput", traces, {"title": {"text": "Throughput against batch size (colour: stack, "
                                                                 "line style: model)"},
                                              "xaxis": {"title": {"text": "batch size"}, "type": "log", "dtick":
                                                        0.30103},
                                              "yaxis": {"title": {"text": "inferences / s"},
                                                        **_log_axis([y for t in traces for y in t["y"]])}})


def batch1_figure(records: Sequence[Record], colours: dict[str, str]) -> str:
    best = batch1_points(records)
    traces = []
    for stack in sorted({s for _, s in best}):
        models = sorted(m for m, s in best if s == stack)
        traces.append({"type": "bar", "name": stack, "x": models, "marker": {"color": colours[stack]},
                       "y": [best[(m, stack)].latency_s * 1e3 for m in models]})
    return _figure("fig-batch1", traces, {"title": {"text": "Batch-1 latency by model and stack"}, "barmode": "group",
                                          "yaxis": {"title": {"text": "ms"},
                                                    **_log_axis([y for t in traces for y in t["y"]])}})


def size_figure(records: Sequence[Record], found: Sequence[Fit], colours: dict[str, str], *, axis: str) -> str:
    """Latency against the model's own size axis ('megapixels' or 'tokens') at each batch, with the fitted lines;
    only the stacks measured at two sizes or more."""
    groups = defaultdict(list)
    for r in records:
        if r.ok and bool(r.tokens) == (axis == "tokens"):
            groups[(r.model, stack_label(r), r.backend, r.precision, r.batch_size)].append((r.size, r.latency_s))
    traces = []
    for (model, stack, backend, precision, batch), points in sorted(groups.items()):
        if len({p[0] for p in points}) < 2:
            continue
        points.sort()
        traces.append({"type": "scatter", "mode": "markers", "name": f"{model} {stack} b{batch}", "legendgroup": stack,
                       "x": [p[0] for p in points], "y": [p[1] for p in points], "marker": {"color": colours[stack]}})
        fit = next((f for f in found if (f.model, f.backend, f.precision, f.x, f.fixed) ==
                    (model, backend, precision, axis, f"batch {batch}")), None)
        if fit:
            low, high = points[0][0], points[-1][0]
            xs = [low + (high - low) * i / 20 for i in range(21)]
            quad = fit.quadratic_s or 0.0
            traces.append({"type": "scatter", "mode": "lines", "legendgroup": stack, "showlegend": False,
                           "name": f"fit R²={fit.r2:.3f}", "x": xs,
                           "y": [fit.intercept_s + fit.slope_s * x + quad * x * x for x in xs],
                           "line": {"dash": "dot", "color": colours[stack]}})
    unit = "megapixels" if axis == "megapixels" else "tokens (sequence length)"
    return _figure(f"fig-{axis}", traces, {"title": {"text": f"Latency against {unit}, with fitted lines"},
                                           "xaxis": {"title": {"text": unit}},
                                           "yaxis": {"title": {"text": "seconds"}}})


def peak_figure(records: Sequence[Record], colours: dict[str, str]) -> str:
    """Each point's achieved FLOP rate as a fraction of the device's probed peak, as horizontal bars (long labels
    stay readable); a point above the probed peak is drawn at 100% and said to be so in its hover text."""
    rows = sorted((r for r in records if r.ok and r.fraction_of_peak), key=lambda r: (r.model, stack_label(r),
                                                                                       r.batch_size, r.size))
    traces = []
    for stack in sorted({stack_label(r) for r in rows}):
        mine = [r for r in rows if stack_label(r) == stack]
        traces.append({"type": "bar", "orientation": "h", "name": stack, "marker": {"color": colours[stack]},
                       "y": [f"{r.model} {stack} b{r.batch_size} {r.size_label}" for r in mine],
                       "x": [min(r.fraction_of_peak, 1.0) for r in mine],
                       "hovertext": [f"{r.fraction_of_peak:.0%} of the probed peak" +
                                     (" (above it: the probe underestimated the peak)" if r.fraction_of_peak > 1
                                      else "") for r in mine]})
    return _figure("fig-peak", traces, {"title": {"text": "Stacks against the device's probed peak"},
                                        "xaxis": {"title": {"text": "fraction of peak"}, "tickformat": ".0%",
                                                  "range": [0, 1]},
                                        "yaxis": {"autorange": "reversed", "tickfont": {"size": 10}},
                                        "showlegend": False}, height=max(260, 22 * len(rows) + 120))


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "", table_id: str = "") -> str:
    head = "".join(f"<th>{e(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return f'<table class="{cls}"{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _money(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _option(row: dict | None) -> str:
    """A steady candidate in a few words: instance, replicas, stack and precision."""
    if row is None:
        return "none meets the target"
    stack = " ".join(filter(None, [(row.get("stack") or "").split(" (")[0], row.get("precision")]))
    count = f" x{row['replicas']}" if row.get("replicas", 1) != 1 else ""
    return f"{row['instance']}{count} ({stack})"


def answer_section(answers: Sequence[ModelAnswer]) -> str:
    """The assumptions, then the answer: one row per model, steady and sporadic load."""
    if not answers:
        return "<p>No answer: no model has ok results here.</p>"
    seen = defaultdict(list)
    for a in answers:
        given = f" (from {', '.join(a.assumptions.given)})" if a.assumptions.given else " (default for its kind)"
        seen[a.assumptions.target.describe() + given].append(a.model)
    steady = "; ".join(f"{', '.join(models)}: {text}" for text, models in seen.items())
    sporadic = f"{answers[0].assumptions.sporadic.describe()}; {answers[0].assumptions.cold_note}"
    rows = [(a.model, a.size or "-", _option(a.steady), _money(a.steady and a.steady["monthly_cost_usd"]),
             band_text(a.steady),
             _option(a.steady_next) if a.steady_next else "-", a.steady_change,
             a.sporadic_best["option"] if a.sporadic_best else "none meets the target",
             _money(a.sporadic_best and a.sporadic_best["monthly_cost_usd"]),
             fmt_seconds(a.sporadic_best.get("first_wait_s")) if a.sporadic_best else "-",
             a.sporadic_next["option"] if a.sporadic_next else "-", a.sporadic_change or "-") for a in answers]
    return (f'<p class="assume"><b>Steady load</b>: {e(steady)}. <b>Sporadic load</b>: {e(sporadic)}. '
            f'Set them with --qps, --slo-ms, --traffic, --requests-per-day and --burst.</p>'
            + _table(("model", "served at", "steady: cheapest", "USD/month", "band", "runner-up", "would change with",
                      "sporadic: cheapest", "USD/month", "first of a burst waits", "runner-up",
                      "where scale to zero wins"), rows, "answer", "answer"))


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


def cost_section(answers: Sequence[ModelAnswer], measured: Sequence[dict]) -> str:
    """Per model: the candidates under its stated traffic (the ten cheapest that meet it, measured and predicted),
    then every point measured here priced at full load. Every row names its model; the tables sort by a click on a
    column's head."""
    parts = []
    models = sorted({a.model for a in answers} | {m["model"] for m in measured})
    by_model = {a.model: a for a in answers}
    for model in models:
        parts.append(f"<h3>{e(model)}</h3>")
        found = by_model.get(model)
        if found:
            feasible = [r for r in found.ranking if r["feasible"]][:10]
            size = f" at {found.size}" if found.size else ""
            parts.append(f"<p>Serving {e(found.assumptions.target.describe())}{e(size)}: the ten cheapest candidates "
                         f"that meet it.</p>" + _table(
                ("model", "instance", "source", "stack", "precision", "batching", "replicas", "p99",
                 "USD / 1M requests", "USD / month", "band", "note"),
                [(model, r["instance"], r["source"], r.get("stack") or "-", r.get("precision") or "-",
                  r.get("batch_policy") or "-", r.get("replicas") or "-", fmt_seconds(r.get("p99_s")),
                  f"{r['cost_per_inference_usd'] * 1e6:.4g}", _money(r["monthly_cost_usd"]), band_text(r),
                  r.get("stack_note") or "") for r in feasible], "costs sortable"))
        mine = [m for m in measured if m["model"] == model]
        if mine:
            parts.append("<p>Measured here, priced at full load (batches back to back).</p>" + _table(
                ("model", "instance", "stack", "precision", "batch", "size", "latency", "throughput/s",
                 "USD / 1M inferences"),
                [(model, m["instance"], m["stack"], m["precision"], m["batch_size"], m["size"],
                  fmt_seconds(m["latency_s"]), f"{m['throughput_per_s']:.1f}", f"{m['cost_per_million_usd']:.4g}")
                 for m in mine], "costs sortable"))
    return "".join(parts)


def sporadic_section(answers: Sequence[ModelAnswer]) -> str:
    parts = []
    for a in answers:
        if a.sporadic:
            parts.append(f"<h3>{e(a.model)}</h3>" + _table(
                ("model", "option", "how", "USD / month", "first of a burst waits", "source", "notes"),
                [(a.model, o["option"], o["where"], _money(o["monthly_cost_usd"]), fmt_seconds(o.get("first_wait_s")),
                  o["source"], "; ".join(o.get("notes") or [])) for o in a.sporadic], "costs sortable"))
    return "".join(parts)


_SORT = """document.querySelectorAll('table.sortable').forEach(function(t){t.querySelectorAll('th').forEach(
function(th,i){th.title='sort';th.addEventListener('click',function(){var b=t.tBodies[0],rs=Array.from(b.rows),
d=th.dataset.dir==='a'?-1:1;th.dataset.dir=d===1?'a':'d';function v(r){var x=r.cells[i].innerText.replace(/[,$]/g,
'');var n=parseFloat(x);return isNaN(n)?x:n;}rs.sort(function(p,q){var a=v(p),c=v(q);return (a>c?1:a<c?-1:0)*d;});
rs.forEach(function(r){b.appendChild(r);});});});});"""

_STYLE = """body{font-family:system-ui,sans-serif;margin:1em auto;max-width:1360px;color:#222;padding:0 12px}
h1{font-size:22px;margin:.2em 0}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#f3f3f3}
table.sortable th{cursor:pointer}.figure{margin:1em 0}h2{border-bottom:1px solid #ddd;padding-bottom:4px}
#answer{font-size:12.5px}#answer td:first-child{font-weight:bold}.assume{font-size:13px;margin:.3em 0}
"""


def generation_section(records: Sequence[Record]) -> str:
    """Generation records: the table, TTFT against prompt length and TPOT against batch, one colour per stack."""
    ok = [r for r in records if r.ok and r.generation]
    if not ok:
        return ""
    colours = stack_colours(ok)
    rows = [(r.model, stack_label(r), r.batch_size, r.generation["prompt_tokens"], r.generation["output_tokens"],
             fmt_seconds(r.generation["ttft_s"]), fmt_seconds(r.generation.get("tpot_s")),
             fmt_seconds(r.generation.get("itl_p99_s")), f"{r.generation['output_tokens_per_s']:.3g}",
             fmt_bytes(r.generation.get("kv_cache_bytes")), fmt_bytes(r.peak_memory_bytes)) for r in ok]
    table = _table(("model", "stack", "batch", "prompt", "output", "TTFT", "TPOT", "ITL p99", "output tokens/s",
                    "KV cache", "peak memory"), rows, "sortable")
    ttft, tpot = defaultdict(list), defaultdict(list)
    for r in ok:
        ttft[(r.model, stack_label(r), r.batch_size)].append((r.generation["prompt_tokens"], r.generation["ttft_s"]))
        tpot[(r.model, stack_label(r), r.generation["prompt_tokens"])].append((r.batch_size, r.generation["tpot_s"]))

    def traces(groups: dict, label: str) -> list[dict]:
        found = []
        for (model, stack, fixed), points in sorted(groups.items()):
            points.sort()
            found.append({"type": "scatter", "mode": "lines+markers", "name": f"{model} {stack} {label} {fixed}",
                          "legendgroup": stack, "x": [p[0] for p in points], "y": [p[1] * 1e3 for p in points],
                          "line": {"color": colours[stack]}, "marker": {"color": colours[stack]}})
        return found

    return (table + _figure("fig-ttft", traces(ttft, "batch"), {
        "title": {"text": "Time to first token against prompt length"},
        "xaxis": {"title": {"text": "prompt tokens"}}, "yaxis": {"title": {"text": "ms"}}})
        + _figure("fig-tpot", traces(tpot, "prompt"), {
            "title": {"text": "Time per output token against batch"},
            "xaxis": {"title": {"text": "batch (sequences decoded together)"}},
            "yaxis": {"title": {"text": "ms"}}}))


def generation_serving_section(served: Sequence[dict]) -> str:
    """Per generative model: its stacks served here with continuous batching, then the cheapest instances predicted,
    both by cost per million output tokens."""
    parts = []
    for item in served:
        where = f"priced as {e(item['instance'])}" if item["instance"] else "no price known for this machine"
        here = _table(("stack", "TTFT p99", "TPOT p99", "max qps / replica", "replicas", "USD / month",
                       "USD / 1M output tokens", "step cost fitted on"),
                      [(s["stack"], fmt_seconds(s["ttft_p99_s"]), fmt_seconds(s["tpot_p99_s"]),
                        f"{s['max_qps_under_slo']:.3g}", s["replicas"] or "-", _money(s["monthly_cost_usd"]),
                        _per_million(s["cost_per_million_output_tokens"]), s["step_cost"]["fitted_on"])
                       for s in item["here"]], "sortable generation-serving")
        ranked = _table(("instance", "accelerator", "precision", "replicas", "TTFT p99", "TPOT p99",
                         "USD / month", "USD / 1M output tokens", "source"),
                        [(r["instance"], r["accelerator"], r["precision"], r["replicas"], fmt_seconds(r["ttft_p99_s"]),
                          fmt_seconds(r["tpot_p99_s"]), _money(r["monthly_cost_usd"]),
                          _per_million(r["cost_per_million_output_tokens"]), band_text(r))
                         for r in item["ranked"]], "sortable generation-serving")
        parts.append(f"<h3>{e(item['model'])}: {e(item['target'])}</h3><p class=\"assume\">Served here with "
                     f"continuous batching (the simulator, on the step cost fitted to this machine's generation "
                     f"records; {where}):</p>{here}<p class=\"assume\">The cheapest instances, predicted (prefill on "
                     f"the roofline, decode reading weights and KV cache):</p>{ranked}")
    return "".join(parts)


def _per_million(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def build_report(directory: str | Path, records: Sequence[Record], measured_costs: Sequence[dict],
                 *, serving_rows: Sequence[dict], answers: Sequence[ModelAnswer], extra_warnings: Sequence[str],
                 generation: Sequence[Record] = (), served_generation: Sequence[dict] = ()) -> str:
    import plotly.offline

    found = fits(records)
    colours = stack_colours(records)
    everything = list(records) + list(generation)
    raw = base64.b64encode("".join(r.to_json() + "\n" for r in everything).encode()).decode()
    serving = _table(("model", "policy", "qps", "p50", "p99", "replicas", "max qps / replica", "USD / month"),
                     [(s["model"], s["policy"], s["qps"], fmt_seconds(s["p50_s"]), fmt_seconds(s["p99_s"]),
                       s["replicas"], f"{s['max_qps_under_slo']:.1f}", _money(s["monthly_cost_usd"]))
                      for s in serving_rows], "sortable")
    summary = _table(("model", "fastest stack", "batch-1 latency", "best throughput/s", "largest batch",
                      "largest size"),
                     [(s["model"], s.get("fastest_stack") or "-", fmt_seconds(s.get("batch1_latency_s")),
                       f"{s['best_throughput_per_s']:.1f}" if s.get("best_throughput_per_s") else "-",
                       s.get("largest_batch", "-"), s.get("largest_resolution", "-"))
                      for s in summarize_models(records)])
    sentences = "".join(f"<li>{e(a.label)}: {e(a.sentence)}</li>" for a in answers)
    gen_count = f", and {len(generation)} generation records" if generation else ""
    warn = "".join(f"<li>{e(w)}</li>" for w in warnings_section(records, extra_warnings)) or "<li>none</li>"
    figures = (throughput_figure(records, colours) + batch1_figure(records, colours)
               + size_figure(records, found, colours, axis="megapixels") + size_figure(records, found, colours,
                                                                                       axis="tokens")
               + peak_figure(records, colours))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>infercost report: {e(str(directory))}</title><style>{_STYLE}</style>
<script>{plotly.offline.get_plotlyjs()}</script></head><body>
<h1>Where to serve it, and what it costs</h1>{answer_section(answers)}
<p>{len(records)} records from <code>{e(str(directory))}</code>{gen_count}. Measured rows come from this study;
predicted rows carry the band held-out validation earned. Details, figures and the raw data follow.</p>
<h2>Why: the steady-load ranking</h2><ul>{sentences}</ul>
<h2>Summary of the measurements</h2>{summary}
<h2>Machines measured</h2>{machines_section(records)}
<h2>Figures</h2>{figures or "<p>No figure: no ok measurements.</p>"}
<h2>Cost per model</h2>{cost_section(answers, measured_costs)}
<h2>Sporadic load: warm, scale to zero, pay per use</h2>{sporadic_section(answers)}
{"<h2>Generation: time to first token, time per output token</h2>" + generation_section(generation)
 if generation else ""}
{"<h2>Serving generation: cost per million output tokens</h2>" + generation_serving_section(served_generation)
 if served_generation else ""}
{"<h2>Batch-1 against dynamic batching (this machine)</h2>" + serving if serving_rows else ""}
<h2>Warnings</h2><ul>{warn}</ul>
<h2>Per model</h2>{model_tables(records)}
<h2>Raw data</h2><p><a id="raw-download" download="results.jsonl"
href="data:application/x-ndjson;base64,{raw}">results.jsonl</a> ({len(everything)} records)</p>
<script>{_SORT}</script>
</body></html>"""


def summary_markdown(records: Sequence[Record], answers: Sequence[ModelAnswer] = (), note: str = "") -> str:
    """summary.md: the answer first (the same lines `infercost recommend` prints), then the measurements."""
    lines = ["# infercost summary", ""] + ([note, ""] if note else [])
    if answers:
        lines += ["## The answer", ""] + [f"- {line}" for a in answers for line in answer_lines(a)] + [""]
    lines += ["## Measured here", "", "| model | fastest stack | batch-1 latency | best throughput/s |",
              "|---|---|---|---|"]
    for s in summarize_models(records):
        if s.get("fastest_stack"):
            lines.append(f"| {s['model']} | {s['fastest_stack']} | {fmt_seconds(s['batch1_latency_s'])} | "
                         f"{s['best_throughput_per_s']:.1f} |")
    lines.append("")
    return "\n".join(lines)
