"""`infercost report`: the HTML page and summary.md for a results directory (the study writes both at its end).

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from pathlib import Path

from infercost.commands.answer import ALL_PRECISIONS, Asked, ModelAnswer, answer_for
from infercost.commands.cost import machine_prices
from infercost.commands.recommend import Workload
from infercost.commands.serving import compare_policies
from infercost.errors import InfercostError, UsageError
from infercost.pricing import load_catalog
from infercost.pricing.cost import cost_per_inference
from infercost.report.html import build_report, summary_markdown
from infercost.results import load_records, machine_id
from infercost.serving import curve_from_records
from infercost.textfiles import one_line


def measured_cost_rows(records, prices: dict[str, tuple[str, float] | None]) -> list[dict]:
    """Every ok record priced at full load on the machine that measured it (where its price is known)."""
    rows = []
    for r in records:
        priced = prices.get(machine_id(r.env))
        if r.ok and r.throughput_per_s and priced:
            rows.append({"model": r.model, "instance": priced[0], "stack": r.backend, "precision": r.precision,
                         "batch_size": r.batch_size, "size": r.size_label, "latency_s": r.latency_s,
                         "throughput_per_s": r.throughput_per_s,
                         "cost_per_million_usd": cost_per_inference(priced[1], r.throughput_per_s) * 1e6})
    return rows


def answers(directory: str, records, catalog, *, prices, asked: Asked,
            bar=None) -> tuple[list[ModelAnswer], list[str]]:
    """The answer for every model measured (ok) in the results; a model that can't be answered is a warning."""
    found, warnings = [], []
    for model in sorted({r.model for r in records if r.ok}):
        if bar is not None:
            bar.start(f"report: the answer for {model}")
        try:
            work = Workload.served(records, model, ALL_PRECISIONS)
            found.append(answer_for(catalog, work, records, assumptions=asked.for_model(model), results=directory,
                                    prices=prices))
        except InfercostError as exc:
            warnings.append(f"{model}: no answer ({one_line(exc)})")
        if bar is not None:
            bar.step(f"report: the answer for {model}")
    return found, warnings


def report_steps(records) -> int:
    """The stages make_report shows: one answer per model measured, then serving, generation, summary and HTML."""
    return len({r.model for r in records if r.ok and not r.generation}) + 4


def generation_serving(directory: str, generation, catalog, *, prices) -> tuple[list[dict], list[str]]:
    """Each generative model served under the default generation load (GenerationTarget.default at its middle
    measured prompt): every stack measured here with continuous batching, then the five cheapest catalog instances
    predicted, by cost per million output tokens."""
    from infercost.commands.recommend import recommend_generation
    from infercost.commands.serving import simulate_generation
    from infercost.serving.continuous import GenerationTarget

    found, warnings = [], []
    for model in sorted({r.model for r in generation if r.ok}):
        prompts = sorted(r.generation["prompt_tokens"] for r in generation if r.ok and r.model == model)
        target = GenerationTarget.default(prompts[len(prompts) // 2])
        price = next((p for p in (prices.get(machine_id(r.env)) for r in generation if r.model == model) if p),
                     None)
        try:
            here = [served.to_dict() for served in
                    simulate_generation(generation, model, target, price_per_hour=price[1] if price else None,
                                        every_stack=True)]
            ranked = [r for r in recommend_generation(catalog, model, target) if r["feasible"]][:5]
        except InfercostError as exc:
            warnings.append(f"{model}: no generation serving table ({one_line(exc)})")
            continue
        found.append({"model": model, "target": target.describe(), "instance": price[0] if price else None,
                      "here": here, "ranked": ranked})
    return found, warnings


def make_report(directory: str, output: str | None = None, price_per_hour: float | None = None,
                *, instance: str | None = None, asked: Asked | None = None, progress: bool = False,
                bar=None) -> tuple[Path, Path]:
    """report.html and summary.md for a results directory, answering for the traffic `asked` (None: each kind of
    model's documented defaults). Each stage shows on `bar` (a study's), or on a bar of its own with `progress`."""
    records = load_records(directory)
    if not records:
        raise UsageError(f"no records in {directory}")
    if bar is None:
        from infercost.view.progress import progress_bar

        with progress_bar(report_steps(records), enabled=progress, plain=progress) as own:
            return _make_report(directory, records, output, price_per_hour, instance, asked or Asked(), own)
    return _make_report(directory, records, output, price_per_hour, instance, asked or Asked(), bar)


def _make_report(directory: str, records, output, price_per_hour, instance, asked: Asked, bar) -> tuple[Path, Path]:
    catalog = load_catalog()
    prices = machine_prices(catalog, records, instance, price_per_hour=price_per_hour, spot=False)
    generation = [r for r in records if r.generation]
    records = [r for r in records if not r.generation]  # forward passes; generation has its own section
    found, warnings = answers(directory, records, catalog, prices=prices, asked=asked, bar=bar)
    bar.start("report: batching against batch 1")
    serving = []
    for item in found:
        try:
            curve = curve_from_records(records, item.model)
        except UsageError:
            continue
        target = item.assumptions.target
        price = next((p[1] for p in prices.values() if p), None)
        serving += [{"model": item.model, **row} for row in
                    compare_policies(curve, target, price, arrivals=target.arrivals(20_000), dynamic=None)]
    bar.step("report: batching against batch 1")
    bar.start("report: serving generation")
    served_generation, more = generation_serving(directory, generation, catalog, prices=prices)
    warnings += more
    bar.step("report: serving generation")
    md_path = Path(directory) / "summary.md"
    md_path.write_text(summary_markdown(records, found), encoding="utf-8")  # first: it needs no plotly
    bar.step("report: summary.md")
    bar.start("report: the HTML page")
    page = build_report(directory, records, measured_cost_rows(records, prices), serving_rows=serving, answers=found,
                        extra_warnings=warnings,
                        generation=generation, served_generation=served_generation)
    html_path = Path(output) if output else Path(directory) / "report.html"
    html_path.write_text(page, encoding="utf-8")
    bar.step("report: the HTML page")
    return html_path, md_path
