"""`infercost predict --validate-published --kind generation`: the published LLM rows predicted, each group of the
hold-out (an accelerator, a model, a stack or a chip generation) left out of the calibration in turn; and the
shipped calibration written from all of them (`write_calibration`).

Each case (predict/published_llm.Case) is predicted once with factors of one, as its scenario asks:

- static and single: predict_generation_on at the case's batch, prompt and output (TTFT, TPOT, and their
  throughput: batch x output / (TTFT + (output - 1) x TPOT), times the system's replicas);
- offline: the continuous-batching simulator (serving/continuous.py) with the predicted step cost, every request
  arriving at once, the KV budget the chip's memory leaves;
- server: the highest Poisson rate the simulator sustains under the benchmark's p99 constraints for the throughput,
  and the latencies the simulator gives at that rate (a submitter tunes the rate to the constraint: the latencies at
  the measured rate would test the throughput prediction a second time, through the steepest part of the queue).

The fit (predict/llm_calibration.fit) sees each fitted row's log error and its share of prefill; a fold's factors
then scale the held-out case's prediction (static and single exactly, simulated cases simulated again). The bands are
the held-out errors' 85th percentile per metric, for a fold from the other folds' rows only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from infercost.errors import InfercostError, UsageError
from infercost.predict import published_llm
from infercost.predict.llm_calibration import Calibration, Evidence, Factors, band, fit
from infercost.predict.published_llm import Case, Checked, Row

HOLD_OUTS = ("accelerator", "model", "stack", "generation")
SIM_REQUESTS = 1200


@dataclass
class _Predicted:
    """A case predicted at factors of one: its values by (metric, statistic), each value's share of prefill, and
    what a fold's factors need to predict it again."""

    case: Case
    generation: str
    values: dict
    shares: dict
    again: object  # Factors -> values

    def under(self, factors: Factors) -> dict:
        return self.values if (factors.prefill, factors.decode) == (1.0, 1.0) else self.again(factors)


def _lengths(case: Case, count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)

    def draw(mean: int) -> np.ndarray:
        if not case.spread:
            return np.full(count, mean)
        low, high = max(1, round(mean * (1 - case.spread))), max(1, round(mean * (1 + case.spread)))
        return rng.integers(low, high + 1, count)

    return draw(case.prompt), draw(case.output)


def _static(case: Case, catalog) -> _Predicted:
    from infercost.commands.predict import Where, predict_generation_on

    g = predict_generation_on(case.model, catalog, Where(accelerator=case.accelerator), precision=case.precision,
                              batch=case.batch, prompt=case.prompt, output=case.output, tp=case.tp,
                              padded_heads=case.padded_heads, factors=Factors()).generation
    ttft0, tpot0 = g["ttft_s"], g["tpot_s"]

    def values(f: Factors) -> dict:
        ttft, tpot = ttft0 * f.prefill, tpot0 * f.decode
        throughput = case.replicas * case.batch * case.output / (ttft + (case.output - 1) * tpot)
        return {**{("ttft", s): ttft for s in ("mean", "p50", "p99")},
                **{("tpot", s): tpot for s in ("mean", "p50", "p99")}, ("throughput", "mean"): throughput}

    e2e = ttft0 + (case.output - 1) * tpot0
    shares = {"ttft": 1.0, "tpot": 0.0, "throughput": ttft0 / e2e}
    return _Predicted(case, "", values(Factors()), shares, values)


def _simulated(case: Case, catalog) -> _Predicted:
    from infercost.commands.predict import generation_step_cost
    from infercost.predict.corpus_roofline import chips_from
    from infercost.predict.generation import DecoderShape, Split, kv_tokens
    from infercost.predict.roofline import DeviceSpec
    from infercost.serving.continuous import Budget, GenerationTarget, serve_generation, simulate_continuous

    device = DeviceSpec.from_accelerator(catalog.accelerators[case.accelerator])
    shape = DecoderShape.of(case.model)
    split = Split.over(device, case.tp, shape, padded_heads=case.padded_heads)
    base, _ = generation_step_cost(case.model, device, chips_from(catalog).get(device.name),
                                   precision=case.precision, split=split, prompt=case.prompt, factors=Factors())
    prompts, outputs = _lengths(case, SIM_REQUESTS)
    tokens = kv_tokens(shape, device, case.precision, split=split)
    if tokens < int(np.max(prompts + outputs)):
        raise UsageError("the weights leave no room for one request's KV cache")
    budget = Budget(min(tokens, 4_000_000), published_llm.STEP_TOKENS)

    def values(f: Factors) -> dict:
        cost = base.scaled(f.prefill, f.decode)
        if case.scenario == "offline":
            sim = simulate_continuous(np.zeros(SIM_REQUESTS), prompts, outputs, cost=cost, budget=budget)
            return {("throughput", "mean"): case.replicas * float(outputs.sum()) / sim["span_s"]}
        target = GenerationTarget(1.0, (int(prompts.min()), int(prompts.max())),
                                  (int(outputs.min()), int(outputs.max())), *case.constraint)
        served = serve_generation(cost, budget, target, requests=600, tolerance=1.03)
        capacity = served["max_qps_under_slo"]
        found = {("throughput", "mean"): case.replicas * capacity * served["mean_output_tokens"]}
        if capacity:  # the run as tuned: at the highest rate its constraint allows
            times, drawn_prompts, drawn_outputs = target.requests(SIM_REQUESTS, qps=capacity)
            sim = simulate_continuous(times, drawn_prompts, drawn_outputs, cost=cost, budget=budget)
            found.update({(name, stat): float(np.mean(sim[f"{name}_s"]) if stat == "mean" else
                                              np.percentile(sim[f"{name}_s"], int(stat[1:])))
                          for name in ("ttft", "tpot") for stat in ("mean", "p50", "p99")})
        return found

    sim = simulate_continuous(np.zeros(SIM_REQUESTS), prompts, outputs, cost=base, budget=budget)
    prefill_s = sum(base.prefill_s([int(p)]) for p in prompts)
    share = min(1.0, prefill_s / sim["span_s"])
    return _Predicted(case, "", values(Factors()), {"ttft": 1.0, "tpot": 0.0, "throughput": share}, values)


def _predict(case: Case, catalog, memo: dict) -> _Predicted | str:
    if case not in memo:
        try:
            found = _static(case, catalog) if case.scenario in ("static", "single") else _simulated(case, catalog)
            found.generation = catalog.accelerators[case.accelerator].generation or case.accelerator
            memo[case] = found
        except InfercostError as exc:
            memo[case] = f"can't be predicted: {str(exc).split(':')[0]}"
    return memo[case]


def _fitted(row: Row) -> bool:
    """Rows the fit learns from: all but a server's latencies (they sit at the benchmark's constraint, where the
    submitter tuned the rate to put them, and tell the fit nothing its throughput doesn't)."""
    return not (row.case.scenario == "server" and row.metric != "throughput")


def _evidence(row: Row, found: _Predicted) -> Evidence:
    predicted = found.values[(row.metric, row.statistic)]  # (every fitted row has its value)
    wanted = math.log(row.measured / predicted) if row.metric != "throughput" else math.log(predicted / row.measured)
    return Evidence(row.case.stack, found.generation, found.shares[row.metric], wanted)


def _group(row: Row, found: _Predicted, hold_out: str) -> str:
    return {"accelerator": row.case.accelerator, "model": row.case.model, "stack": row.case.stack,
            "generation": found.generation}[hold_out]


def predicted_rows(catalog, rows: list[dict] | None = None) -> tuple[list[tuple[Row, _Predicted]], dict[str, int]]:
    """Every usable published row (of `rows`; all by default) with its case's prediction at factors of one; the
    rest counted by reason."""
    rows, left = published_llm.cases(rows if rows is not None else published_llm.published_rows(), catalog)
    memo: dict = {}
    usable = []
    for row in rows:
        found = _predict(row.case, catalog, memo)
        if isinstance(found, str):
            left[found] = left.get(found, 0) + 1
        else:
            usable.append((row, found))
    if not usable:
        raise InfercostError("no published generation row could be predicted")
    return usable, left


def _held_out(usable: list, hold_out: str) -> list[tuple[Row, _Predicted, str, float]]:
    """Each row's prediction with its group left out of the fit: (row, case, group, predicted value)."""
    groups = sorted({_group(r, p, hold_out) for r, p in usable})
    out = []
    for group in groups:
        train = [_evidence(r, p) for r, p in usable if _group(r, p, hold_out) != group and _fitted(r)]
        fitted = fit(train)
        for r, p in usable:
            if _group(r, p, hold_out) == group:
                value = p.under(fitted.factors(r.case.stack, p.generation)).get((r.metric, r.statistic))
                if value:  # (a server that meets its constraint at no rate has no latencies)
                    out.append((r, p, group, value))
    return out


def _checked(held: list, hold_out: str) -> list[Checked]:
    """The held-out predictions with their bands: for a group, from the other groups' held-out errors of the
    metric."""
    errors = [(g, r.metric, math.log(v / r.measured)) for r, _, g, v in held]
    checked = []
    bands: dict = {}
    for r, p, g, v in held:
        if (g, r.metric) not in bands:
            bands[(g, r.metric)] = band([e for other, m, e in errors if other != g and m == r.metric])
        b = bands[(g, r.metric)]
        low, high = v * math.exp(-b), v * math.exp(b)
        checked.append(Checked(r.published_accelerator, r.case.model, r.case.stack, p.generation, r.metric,
                               r.case.scenario, r.measured, v, low, high))
    return checked


def validate(hold_out: str = "accelerator", rows: list[dict] | None = None) -> dict:
    """Every usable published row (of `rows`; all by default) predicted with its `hold_out` group left out of the
    fit, grouped by `hold_out`, by metric and by scenario; the rows left out, counted by reason."""
    from infercost.pricing import load_catalog

    if hold_out not in HOLD_OUTS:
        raise UsageError(f"--hold-out for generation is one of {', '.join(HOLD_OUTS)}, not {hold_out!r}")
    usable, left = predicted_rows(load_catalog(), rows)
    held = _held_out(usable, hold_out)
    if len(held) < len(usable):
        left["a server that meets its constraint at no rate (no latencies to compare)"] = len(usable) - len(held)
    checked = _checked(held, hold_out)
    group_of = [g for _, _, g, _ in held]
    summary = published_llm.summary

    def by(key) -> dict:
        names = sorted({key(i, c) for i, c in enumerate(checked)})
        return {n: summary([c for i, c in enumerate(checked) if key(i, c) == n]) for n in names}

    return {"kind": "generation", "hold_out": hold_out, "fitted": True, **summary(checked),
            "groups": len(set(group_of)), "by_group": by(lambda i, c: group_of[i]),
            "by_metric": by(lambda i, c: c.metric), "by_scenario": by(lambda i, c: c.scenario),
            "left_out": dict(sorted(left.items(), key=lambda kv: -kv[1]))}


def calibration_from_published() -> Calibration:
    """The calibration to ship: the fit on every usable row; the bands from leaving each accelerator out (TTFT and
    TPOT from the fixed-batch rows, throughput from all)."""
    from infercost.pricing import load_catalog

    usable, _ = predicted_rows(load_catalog())
    held = _held_out(usable, "accelerator")
    checked = _checked(held, "accelerator")
    # A prediction's TTFT and TPOT are a fixed batch's: their bands come from the fixed-batch rows (a server's
    # latencies hold its queue); throughput's from every throughput row.
    def like(metric: str, scenario: str) -> bool:
        return metric == "throughput" or scenario in ("static", "single")

    bands = {m: band([math.log(v / r.measured) for r, _, _, v in held if r.metric == m and like(m, r.case.scenario)])
             for m in ("ttft", "tpot", "throughput")}
    validation = {m: published_llm.summary([c for c in checked if c.metric == m and like(m, c.scenario)])
                  for m in bands}
    return Calibration(fit([_evidence(r, p) for r, p in usable if _fitted(r)]), bands, validation)
