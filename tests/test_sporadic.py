"""Sporadic load: warm, scale to zero and pay per use, priced from the shipped serverless rows."""

from __future__ import annotations

import pytest

from infercost.errors import UsageError
from infercost.pricing.cost import HOURS_PER_MONTH
from infercost.pricing.pay_per_use import PLANS, offerings, price_plan, rates
from infercost.serving.sporadic import SporadicLoad, break_even_per_day, scale_to_zero_monthly, warm_monthly


def test_scale_to_zero_bills_each_burst_its_cold_start_work_and_keep_alive():
    load = SporadicLoad(requests_per_day=1_000, burst=10, keep_s=60)
    per_burst_s = 2.0 + 10 * 0.1 + 60  # cold start, ten requests, the idle minute before it stops
    expected = 100 * HOURS_PER_MONTH / 24 * per_burst_s * 0.36 / 3600
    assert scale_to_zero_monthly(load, 0.36, 0.1, cold_s=2.0) == pytest.approx(expected)
    assert warm_monthly(0.36) == pytest.approx(0.36 * HOURS_PER_MONTH)
    # Where the bursts' billed time fills the day, warm and scale to zero cost the same.
    even = SporadicLoad(requests_per_day=break_even_per_day(load, 0.1, 2.0), burst=10, keep_s=60)
    assert scale_to_zero_monthly(even, 0.36, 0.1, cold_s=2.0) == pytest.approx(warm_monthly(0.36))
    busy = SporadicLoad(requests_per_day=10_000_000, burst=10)
    assert scale_to_zero_monthly(busy, 0.36, 0.1, cold_s=2.0) == warm_monthly(0.36)  # never above the warm bill
    assert load.cold_fraction == 0.1


@pytest.mark.parametrize("bad", [{"requests_per_day": 0}, {"burst": 0}, {"keep_s": -1}])
def test_a_sporadic_load_out_of_range_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        SporadicLoad(**bad)


def test_every_plan_reads_its_prices_from_the_shipped_rows():
    for plan in PLANS:
        priced = price_plan(plan, 0.05, 1, peak_memory_bytes=100 * 2**20, cold_s=1.0)
        assert priced is not None and priced.cost_per_second_usd > 0, plan.name
        assert all(rate.source_url.startswith("http") for rate in priced.sources)
    lambda_rows = {r.resource.split(" (")[0]: r.price_usd for r in rates()[("AWS", "Lambda (on-demand)")]}
    assert lambda_rows["requests"] == 0.20


def test_lambda_buys_the_vcpus_measured_here_with_memory():
    aws = next(p for p in PLANS if p.name == "AWS Lambda (x86)")
    priced = price_plan(aws, latency_s=0.05, cores=2, peak_memory_bytes=300 * 2**20, cold_s=1.5)
    assert priced.vcpus == 2 and priced.memory_bytes == 3584 * 2**20  # 2 x 1,769 MB, in 128 MiB steps
    gb_second = next(r for r in rates()[("AWS", "Lambda (on-demand)")] if r.unit == "GB-second").price_usd
    assert priced.cost_per_second_usd == pytest.approx(gb_second * 3584 * 2**20 / 1e9)
    month = priced.monthly_cost(requests_per_month=1e6, cold_starts_per_month=1e4)
    assert month == pytest.approx((1e6 * 0.05 + 1e4 * 1.5) * priced.cost_per_second_usd + 1e6 * 0.2e-6)


def test_a_plan_with_fewer_vcpus_runs_longer_and_says_so_and_a_model_too_big_is_left_out():
    names = {o.plan.name: o for o in offerings(0.1, 2, 300 * 2**20, cold_s=1.0)}
    functions = names["Azure Functions (consumption)"]
    assert functions.duration_s == pytest.approx(0.2) and "scaled linearly" in functions.notes[-1]
    assert "Azure Functions (consumption)" not in {o.plan.name for o in offerings(0.1, 2, 2 * 2**30, cold_s=1.0)}


def test_the_catalog_lists_each_plan_with_its_rates_dates_and_sources():
    from click.testing import CliRunner

    from infercost.cli import cli

    result = CliRunner().invoke(cli, ["catalog", "pay-per-use", "--json"])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.output)
    assert {row["plan"] for row in rows} == {plan.name for plan in PLANS}
    assert all(rate["source"].startswith("http") and rate["as_of"] for row in rows for rate in row["rates"])
