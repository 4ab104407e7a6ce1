"""`infercost report`: the HTML page and summary.md for a results directory (the study writes both at its end).

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from infercost.commands.cost import machine_prices
from infercost.commands.recommend import Workload, answer
from infercost.commands.serving import compare_policies
from infercost.errors import UsageError
from infercost.models import ZOO
from infercost.predict.corpus_roofline import chips_from
from infercost.predict.profile import profile_model
from infercost.predict.published import predict_published
from infercost.predict.roofline import DEFAULT_ERROR, DeviceSpec, predict
from infercost.pricing import load_catalog
from infercost.pricing.cost import cost_per_inference
from infercost.report.html import build_report, summary_markdown
from infercost.results import load_records, machine_id
from infercost.serving import curve_from_records
from infercost.serving.target import ServingTarget


def _cost_rows(records, catalog, prices: dict[str, tuple[str, float] | None]) -> list[dict]:
    rows = []
    for r in records:
        priced = prices.get(machine_id(r.env))
        if r.ok and r.throughput_per_s and priced:
            rows.append({"instance": priced[0], "source": "measured", "stack": r.backend,
                         "precision": r.precision, "batch_size": r.batch_size, "latency_s": r.latency_s,
                         "cost_per_million_usd": cost_per_inference(priced[1], r.throughput_per_s) * 1e6,
                         "error_band": "-"})
    chips = chips_from(catalog)
    for model in sorted({r.model for r in records if r.model in ZOO}):
        size = next(r for r in records if r.model == model)
        profile = profile_model(model, 8, size.height, size.width, "fp32")
        predicted = []
        for instance in catalog.listing():
            found = DeviceSpec.from_instance(catalog, instance) if instance.status == "current" else None
            if not found:
                continue
            result = predict(profile, found[0], replicas=found[1])
            if not result.supported or result.fits_in_memory is False:
                continue
            chip = chips.get(found[0].name)
            throughput, stack, band = result.throughput_per_s, "roofline (default)", f"+-{DEFAULT_ERROR:.0%}"
            if chip is not None:  # calibrated on the published corpus, with the fastest stack the device runs
                pub = predict_published(model, chip, "fp32", 8, (profile.height, profile.width), None,
                                        catalog.cpu_cores(instance))
                throughput = 8 / pub.seconds * found[1]
                stack = f"{pub.stack} (published calibration)"
                band = f"+{math.exp(pub.band) - 1:.0%}/-{1 - math.exp(-pub.band):.0%}"
            predicted.append({"instance": instance.name, "source": "predicted", "stack": stack,
                              "precision": "fp32", "batch_size": 8, "latency_s": 8 / throughput * found[1],
                              "cost_per_million_usd": cost_per_inference(instance.price_per_hour_usd,
                                                                         throughput) * 1e6,
                              "error_band": band})
        rows += sorted(predicted, key=lambda row: row["cost_per_million_usd"])[:10]
    return rows


def make_report(directory: str, output: str | None = None, price_per_hour: float | None = None,
                instance: str | None = None, qps: float = 10.0, slo_ms: float | None = None) -> tuple[Path, Path]:
    records = load_records(directory)
    if not records:
        raise UsageError(f"no records in {directory}")
    catalog = load_catalog()
    prices = machine_prices(catalog, records, instance, price_per_hour, False)
    warnings = ["predicted rows are calibrated on published measurements where the catalog knows the chip's "
                "generation (bands from held-out validation); other devices use uncalibrated default factors (+-50%)"]
    serving, recs, sentence = [], [], "No recommendation: no zoo model with ok results."
    ok = [r for r in records if r.ok and r.model in ZOO]
    if ok:
        model = max({r.model for r in ok}, key=lambda m: len({r.batch_size for r in ok if r.model == m}))
        counts = Counter(machine_id(r.env) for r in ok if r.model == model)
        machine = max(counts, key=counts.get)  # serve from one machine's curve, never a mix of machines
        curve = curve_from_records([r for r in records if machine_id(r.env) == machine], model)
        target = ServingTarget(qps, (slo_ms / 1e3) if slo_ms else 4 * curve.latency(1))
        price = (prices.get(machine) or (None, None))[1]
        serving = compare_policies(curve, target, price, target.arrivals(20_000), None)
        first = next(r for r in ok if r.model == model)
        found = answer(catalog, Workload(model, first.height, first.width), target, results=directory, prices=prices)
        recs, sentence = found.rows, found.sentence
        warnings.append(f"serving and recommendations for {model} at {target.describe()}")
    md_path = Path(directory) / "summary.md"
    md_path.write_text(summary_markdown(records, sentence), encoding="utf-8")  # first: it needs no plotly
    page = build_report(directory, records, _cost_rows(records, catalog, prices), serving, recs,
                        sentence, warnings)
    html_path = Path(output) if output else Path(directory) / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return html_path, md_path
