"""Generation's calibration on published LLM rows: the mapping of rows to cases, the fit, the bands, the validation
on a few rows, and the shipped calibration in predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infercost.predict import published_llm
from infercost.predict.llm_calibration import Evidence, Factors, fit, shipped
from infercost.pricing import load_catalog


def _rows(**where) -> list[dict]:
    return [r for r in published_llm.published_rows() if all(r[k] == v for k, v in where.items())]


def test_mlperf_rows_become_cases_in_seconds_and_per_system():
    run = _rows(accelerator="AMD Instinct MI300X-NPS1-SPX-192GB-750W", model="llama2-70b-99.9")
    rows, left = published_llm.cases(run, load_catalog())
    offline = [r for r in rows if r.case.scenario == "offline"]
    assert offline and offline[0].metric == "throughput" and offline[0].measured == pytest.approx(3062.72)
    case = offline[0].case
    # the mean output is the run's tokens over its samples; the prompt is taken equal to it
    assert case.output == round(3062.72 / 10.4445) == case.prompt and case.spread > 0
    assert (case.model, case.accelerator, case.stack, case.precision) == ("llama-2-70b", "MI300X", "vllm", "fp8")
    server = [r for r in rows if r.case.scenario == "server"]
    assert server and {r.case.constraint for r in server} <= {(2.0, 0.2), (0.45, 0.04)}
    ttft = [r for r in server if r.metric == "ttft"]
    assert ttft and all(0.001 < r.measured < 60 for r in ttft)  # ns read as seconds
    assert any(why.startswith("metric samples_per_s") for why in left)


def test_neuron_counts_cores_and_pads_heads():
    rows, _ = published_llm.cases(_rows(accelerator="Trainium1"), load_catalog())
    case = rows[0].case
    assert case.stack == "neuron" and case.padded_heads and case.scenario == "static"
    source = next(r for r in _rows(accelerator="Trainium1"))
    assert case.tp == int(float(source["tensor_parallel"])) // 2


def test_every_row_is_mapped_or_counted_with_its_reason():
    rows = published_llm.published_rows()
    found, left = published_llm.cases(rows, load_catalog())
    assert len(found) + sum(left.values()) == len(rows)
    assert "the same run published under another accuracy target" in left


def test_the_fit_recovers_known_factors_and_shrinks_what_few_rows_say():
    rng = np.random.default_rng(0)
    truth = {"a": (math.log(0.5), math.log(0.8)), "b": (math.log(0.7), math.log(1.2))}
    evidence = []
    for stack, (p, d) in truth.items():
        for _ in range(200):
            share = float(rng.uniform())
            evidence.append(Evidence(stack, "gen", share, share * p + (1 - share) * d + rng.normal(0, 0.02)))
    found = fit(evidence)
    for stack, (p, d) in truth.items():
        f = found.factors(stack, "gen")
        assert f.prefill == pytest.approx(math.exp(p), rel=0.05) and f.decode == pytest.approx(math.exp(d), rel=0.05)
    unseen = found.factors("never published", "new chip")
    assert 0.5 < unseen.prefill < 0.7 and "global" in unseen.source  # between the stacks, each weighing the same
    one = fit([*evidence, Evidence("c", "gen", 1.0, math.log(3.0))]).factors("c", "gen")
    assert one.prefill < 2.0  # one row moves its stack's factor little


def test_validation_on_a_few_rows_holds_out_each_accelerator():
    from infercost.commands.generation_validation import validate

    rows = (_rows(accelerator="A100-80G", metric="output_tokens_per_s")[:6]
            + _rows(accelerator="Trainium1", metric="output_tokens_per_s")[:6]
            + _rows(accelerator="AMD Instinct MI300X-NPS1-SPX-192GB-750W", model="llama2-70b-99.9"))
    found = validate("accelerator", rows)
    assert found["fitted"] and found["groups"] == 3
    assert set(found["by_group"]) == {"A100-80GB", "Trainium", "MI300X"}
    assert found["points"] + sum(found["left_out"].values()) == len(rows)
    assert set(found["by_scenario"]) == {"static", "offline", "server"}


def test_a_prediction_takes_the_shipped_factors_and_validated_bands():
    from infercost.commands.predict import Where, predict_generation_on

    calibration = shipped()
    assert calibration is not None and set(calibration.bands) == {"ttft", "tpot", "throughput"}
    catalog = load_catalog()
    kwargs = dict(precision="fp16", batch=4, prompt=512, output=128)
    calibrated = predict_generation_on("llama-3.1-8b", catalog, Where(accelerator="H100"), **kwargs).generation
    plain = predict_generation_on("llama-3.1-8b", catalog, Where(accelerator="H100"), factors=Factors(),
                                  **kwargs).generation
    factors = calibration.fit.factors(None, "Hopper")
    assert calibrated["tpot_s"] == pytest.approx(plain["tpot_s"] * factors.decode)
    assert calibrated["ttft_s"] == pytest.approx(plain["ttft_s"] * factors.prefill)
    assert calibrated["tpot_high_s"] / calibrated["tpot_s"] == pytest.approx(math.exp(calibration.bands["tpot"]))
    assert "validated" in calibrated["tpot_band_source"] and "Hopper" in calibrated["tpot_band_source"]


def test_a_server_is_never_faster_than_every_request_at_once():
    from infercost.serving.continuous import Budget, GenerationTarget, StepCost, serve_generation, simulate_continuous

    # A replica so roomy that a finite burst meets any latency target: the saturated rate still bounds it.
    cost = StepCost((0.001, 1e-5, 0.0), (0.01, 1e-5, 0.0))
    target = GenerationTarget(1.0, (100, 100), (50, 50), 100.0, 100.0)
    served = serve_generation(cost, Budget(10**7, 10**6), target, requests=200)
    roomy = Budget(10**7, 10**6)
    burst = simulate_continuous(np.zeros(200), np.full(200, 100), np.full(200, 50), cost=cost, budget=roomy)
    assert served["max_qps_under_slo"] == pytest.approx(200 / burst["span_s"])


@pytest.mark.slow
def test_the_shipped_generation_calibration_is_the_published_rows_fit():
    """Regenerate with: python -c 'from infercost.commands.generation_validation import calibration_from_published as
    c; from infercost.predict.llm_calibration import write_shipped; write_shipped(c())'."""
    from infercost.commands.generation_validation import calibration_from_published

    fresh, kept = calibration_from_published(), shipped()
    assert fresh.fit.rows == kept.fit.rows
    for phase in ("prefill", "decode"):
        assert fresh.fit.globals[phase] == pytest.approx(kept.fit.globals[phase], abs=1e-6)
    assert fresh.bands == pytest.approx(kept.bands, abs=1e-6)
