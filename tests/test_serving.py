"""The serving simulator against closed-form queueing results, capacity search, arrivals, and the load test."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from infercost.case import Case
from infercost.cli import cli
from infercost.errors import UsageError
from infercost.results import Record, ResultsStore
from infercost.serving import LatencyCurve, Policy, bursty, curve_from_records, poisson, read_trace, simulate
from infercost.serving.capacity import max_rate_under_slo, replicas_for
from infercost.serving.loadtest import run_load

CURVE = LatencyCurve([1, 2, 4, 8], [0.010, 0.014, 0.022, 0.038])


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.85])
def test_md1_mean_wait_matches_pollaczek_khinchine(rho):
    service = 0.01
    result = simulate(poisson(rho / service, 400_000, seed=1), LatencyCurve([1], [service]), Policy.none(),
                      service="fixed")
    expected_wait = rho * service / (2 * (1 - rho))  # M/D/1 mean waiting time
    assert result.mean_s - service == pytest.approx(expected_wait, rel=0.05)
    assert result.utilization == pytest.approx(rho, rel=0.02)


def test_mm1_with_exponential_service_spread():
    # Service times drawn from an exponential spread around the median give M/M/1: mean sojourn 1/(mu - lambda).
    rng = np.random.default_rng(3)
    ratios = rng.exponential(1.0, 20_000)
    median = 0.01
    curve = LatencyCurve([1], [median], {1: list(ratios / np.median(ratios) * median)})
    mean_service = median / np.median(ratios) * ratios.mean()
    rate = 0.5 / mean_service
    result = simulate(poisson(rate, 300_000, seed=2), curve, Policy.none())
    assert result.mean_s == pytest.approx(1 / (1 / mean_service - rate), rel=0.06)


def test_dynamic_batching_on_a_regular_stream_is_exact():
    # A request every 1 ms, batches of up to 4 or 2.5 ms of waiting, a fast model: every batch is 3 requests,
    # the first waits 2.5 ms, the last 0.5 ms, each then served in 0.7 ms.
    fast = LatencyCurve([1, 4], [0.0005, 0.0008])
    arrivals = np.arange(0, 0.3, 0.001)
    result = simulate(arrivals, fast, Policy(4, 0.0025), service="fixed")
    assert result.mean_batch == pytest.approx(3.0, abs=0.02)
    assert result.max_s == pytest.approx(0.0025 + 0.0007, rel=1e-6)
    # ... and no batching at 1 ms spacing with 10 ms service falls ever further behind.
    assert simulate(arrivals, CURVE, Policy.none(), service="fixed").p99_s > 2.0


def test_more_replicas_cut_latency():
    arrivals = poisson(180, 50_000)
    one = simulate(arrivals, CURVE, Policy.none(), replicas=2, service="fixed")
    two = simulate(arrivals, CURVE, Policy.none(), replicas=4, service="fixed")
    assert two.p99_s < one.p99_s and two.utilization < one.utilization


def test_simulation_is_seeded():
    a = simulate(poisson(50, 10_000, seed=5), CURVE, Policy(4, 0.002))
    b = simulate(poisson(50, 10_000, seed=5), CURVE, Policy(4, 0.002))
    assert a == b


def test_curve_interpolates_and_flags_extrapolation():
    assert CURVE.latency(3) == pytest.approx(0.018)
    assert not CURVE.extrapolates(8) and CURVE.extrapolates(9)
    assert CURVE.latency(16) == pytest.approx(0.038 + 8 * 0.004)  # the last measured slope
    result = simulate(poisson(500, 5_000), CURVE, Policy(16, 0.01), service="fixed")
    assert result.extrapolated


def test_capacity_search_brackets_the_target():
    slo = 0.05
    rate = max_rate_under_slo(CURVE, Policy.none(), slo)
    assert 0 < rate < 100
    unit = np.cumsum(np.random.default_rng(0).exponential(1.0, 20_000))
    assert simulate(unit / rate, CURVE, Policy.none(), slo_s=slo).slo_met
    assert not simulate(unit / (rate * 1.05), CURVE, Policy.none(), slo_s=slo).slo_met
    assert max_rate_under_slo(CURVE, Policy(8, 0.005), slo) > rate  # batching buys capacity here
    assert max_rate_under_slo(CURVE, Policy.none(), 0.005) == 0.0  # too slow even at batch 1


def test_replicas_for_a_rate():
    replicas, result = replicas_for(CURVE, Policy.none(), 250, slo_s=0.05)
    assert replicas >= 3 and result.slo_met
    assert replicas_for(CURVE, Policy.none(), 250, slo_s=0.005) is None


def test_arrival_processes(tmp_path):
    assert len(poisson(100, 10_000)) / poisson(100, 10_000)[-1] == pytest.approx(100, rel=0.05)
    times = bursty(100, 50_000)
    assert len(times) / times[-1] == pytest.approx(100, rel=0.1)
    path = tmp_path / "trace.csv"
    path.write_text("timestamp\n10.5\n10.0\n11.25\n")
    assert list(read_trace(path)) == [0.0, 0.5, 1.25]
    with pytest.raises(UsageError):
        poisson(0, 10)


def test_load_test_matches_the_simulator_on_a_fake_clock():
    """With a fake clock and a fake model of exact service times the two must agree exactly."""
    now = [0.0]
    arrivals = poisson(70, 2_000, seed=4)

    def run_batch(size):
        now[0] += CURVE.latency(size)

    def wait_until(t):
        now[0] = max(now[0], t)

    result = run_load(arrivals, run_batch, Policy(4, 0.003), clock=lambda: now[0], wait_until=wait_until)
    sim = simulate(arrivals, CURVE, Policy(4, 0.003), service="fixed")
    measured = result.summary()
    assert measured["p99_s"] == pytest.approx(sim.p99_s, rel=0.02)
    assert measured["mean_batch"] == pytest.approx(sim.mean_batch, rel=0.02)


def test_simulate_cli_from_results(tmp_path):
    store = ResultsStore(tmp_path)
    for batch, latency in ((1, 0.01), (2, 0.014), (4, 0.022), (8, 0.038)):
        store.append(Record.for_case(Case("resnet50", batch_size=batch, height=64, width=64), run_id="r",
                                     status="ok", env={}, timing={"method": "adaptive"}).with_samples([latency] * 5))
    args = ["simulate", "--results", str(tmp_path), "--model", "resnet50", "--qps", "120", "--slo-ms", "50",
            "--price-per-hour", "0.5", "--json"]
    data = json.loads(CliRunner().invoke(cli, args).output)
    for key in ("qps", "p50_s", "p90_s", "p99_s", "throughput_per_s", "utilization", "slo_s", "slo_met",
                "max_qps_under_slo", "replicas", "monthly_cost_usd"):
        assert key in data
    assert data["slo_met"] and data["monthly_cost_usd"] == pytest.approx(data["replicas"] * 0.5 * 730)
    policies = [row["policy"] for row in data["comparison"]]
    assert policies[0] == "batch-1" and policies[1].startswith("dynamic")
    bad = CliRunner().invoke(cli, ["simulate", "--results", str(tmp_path), "--model", "vgg19", "--qps", "1",
                                   "--slo-ms", "5"])
    assert bad.exit_code == 2 and "no ok results" in bad.output


def test_million_requests_simulate(benchmark=None):
    result = simulate(poisson(150, 1_000_000), CURVE, Policy(8, 0.005), slo_s=0.05)
    assert result.requests == 1_000_000


def test_after_idle_service_applies_when_the_replica_sat_idle():
    curve = LatencyCurve([1], [0.010])
    curve.after_idle = LatencyCurve([1], [0.015])
    sparse = simulate(poisson(1, 2_000), curve, Policy.none(), service="fixed")
    assert sparse.mean_s == pytest.approx(0.015, rel=0.01)  # nearly every request finds the replica idle
    busy = simulate(np.arange(0, 2.0, 0.001), curve, Policy.none(), service="fixed")
    assert busy.mean_batch == 1 and busy.utilization > 0.99  # back to back after the first: the warm curve


def test_service_times_seen_under_load_feed_the_simulator():
    """A fake model that is slower after an idle gap: the warm-up's curve learns both service times, and the
    simulator fed with it reproduces the load test on the same clock."""
    now, last_end = [0.0], [-1.0]

    def run_batch(size):
        idle = now[0] > last_end[0] + 1e-12
        now[0] += (0.015 if idle else 0.010) * size
        last_end[0] = now[0]

    def wait_until(t):
        now[0] = max(now[0], t)

    def load(seed):
        return run_load(poisson(60, 3_000, seed), run_batch, Policy.none(), clock=lambda: now[0],
                        wait_until=wait_until)

    warm = load(1)
    learned = warm.service_curve(LatencyCurve([1], [0.010]))
    assert learned.latency(1) == pytest.approx(0.010) and learned.after_idle.latency(1) == pytest.approx(0.015)
    now[0], last_end[0] = 0.0, -1.0
    arrivals = poisson(60, 3_000, 2)
    measured = run_load(arrivals, run_batch, Policy.none(), clock=lambda: now[0], wait_until=wait_until).summary()
    sim = simulate(arrivals, learned, Policy.none())
    assert sim.p99_s == pytest.approx(measured["p99_s"], rel=0.02)
    naive = simulate(arrivals, LatencyCurve([1], [0.010]), Policy.none())
    assert naive.p50_s < 0.9 * measured["p50_s"]  # without the after-idle times latency is underestimated


def test_service_times_walked_in_order_keep_slow_spells_together():
    """Half the samples form one slow spell: walked in order the queue builds behind it, drawn at random it doesn't."""
    samples = [0.010] * 500 + [0.025] * 500
    curve = LatencyCurve([1], [float(np.median(samples))], {1: samples})
    arrivals = poisson(50, 20_000, seed=3)
    in_order = simulate(arrivals, curve, Policy.none(), service="in_order")
    shuffled = simulate(arrivals, curve, Policy.none())
    assert in_order.p99_s > 2 * shuffled.p99_s
    assert in_order.utilization == pytest.approx(shuffled.utilization, rel=0.1)  # same work, different order


def test_interleaved_warmup_follows_a_machine_that_slows_down():
    """A fake model that slows steadily with the clock: a warm-up served before the measured time learns the early,
    faster service and the simulator underestimates; alternating the two in pieces, and simulating each measured
    piece with the service times of the warm-up piece beside it, gives both the same drift."""
    from infercost.serving import simulate_pieces
    from infercost.serving.loadtest import LoadResult, run_interleaved

    def ratio(blocks: int) -> float:
        now = [0.0]

        def run_batch(size):
            now[0] += 0.010 * (1 + now[0] / 240) * size

        def wait_until(t):
            now[0] = max(now[0], t)

        arrivals = poisson(50, 3_000, seed=5)
        warm, parts = run_interleaved(poisson(50, 3_000, seed=6), arrivals, run_batch, policy=Policy.none(),
                                      blocks=blocks,
                                      clock=lambda: now[0], wait_until=wait_until)
        measured = LoadResult.joined(parts)
        assert measured.latencies_s.size == 3_000 and len(LoadResult.joined(warm).service_s) == 3_000
        pooled = LoadResult.joined(warm).service_curve(LatencyCurve([1], [0.010]))
        pieces = np.array_split(arrivals, blocks)
        sim = simulate_pieces(pieces, [w.service_curve(pooled, min_samples=3) for w in warm], Policy.none())
        assert sim.requests == 3_000 and sim.offered_qps == pytest.approx(50, rel=0.1)
        return sim.p99_s / measured.summary()["p99_s"]

    assert ratio(1) < 0.8
    assert ratio(12) == pytest.approx(1.0, abs=0.1)


def test_p99_interval_brackets_the_percentile():
    from infercost.serving.loadtest import quantile_interval

    values = np.random.default_rng(0).exponential(1.0, 20_000)
    low, high = quantile_interval(values, 0.99)
    assert low < np.percentile(values, 99) < high and high - low < 0.1 * np.percentile(values, 99)
    assert quantile_interval(np.arange(100.0), 0.99) == [97.0, 99.0]  # few samples: a wide interval, clipped


def test_pieces_interval_widens_when_pieces_differ():
    """Pieces that each ran at their own speed (a drifting machine, busy periods): resampling whole pieces gives a
    wider, more honest interval than order statistics, which take every request as independent."""
    from infercost.serving.loadtest import pieces_interval, quantile_interval

    rng = np.random.default_rng(1)
    pieces = [rng.exponential(1.0, 500) * rng.lognormal(0, 0.4) for _ in range(12)]
    together = np.concatenate(pieces)
    low, high = pieces_interval(pieces, 0.99)
    o_low, o_high = quantile_interval(together, 0.99)
    assert low < np.percentile(together, 99) < high
    assert high - low > 1.5 * (o_high - o_low)
    assert pieces_interval(pieces, 0.99) == [low, high]  # seeded


def _measured(model: str, sizes: list[str], backend: str = "torch", batches=(1,)) -> list:
    """ok records of `model` at each size ('64' an image side, 'seq=32' a length), latency growing with the size."""
    from infercost.grid import expand
    from infercost.results import Record

    records = []
    for size in sizes:
        token = size.startswith("seq=")
        cases = expand([model], [backend], ["cpu"], precisions=["fp32"], batches=list(batches),
                       resolutions=None if token else [size], channels_last=False,
                       dims=[size] if token else [])
        for case in cases:
            extent = int(size.split("=")[-1])
            latency = 1e-4 * extent * case.batch_size
            records.append(Record.for_case(case, run_id="r", status="ok", env={"host": "h"},
                                           timing={"method": "adaptive"}).with_samples([latency] * 3))
    return records


def test_the_served_size_is_the_most_measured_then_the_default_then_the_middle():
    from infercost.serving.curve import served_size

    batch_ladder = _measured("resnet50", ["224"], batches=(1, 2, 4)) + _measured("resnet50", ["64", "128"])
    assert served_size(batch_ladder, "resnet50") == (224, 224, "")
    # A ladder measures every size once: the model's own size (unet: 256) where it is among them...
    assert served_size(_measured("unet", ["128", "256", "384", "512"]), "unet") == (256, 256, "")
    assert served_size(_measured("bert-base", ["seq=32", "seq=64", "seq=128", "seq=256"]), "bert-base") == \
        (None, None, "seq=128")
    # ...else the middle one, never the smallest by default.
    assert served_size(_measured("unet", ["96", "160", "192"]), "unet") == (160, 160, "")
    assert served_size([], "unet") == (None, None, "")


def test_the_curve_the_pay_per_use_price_and_the_prediction_see_one_size():
    from infercost.commands.answer import fastest_cpu_stack
    from infercost.commands.recommend import Workload

    records = _measured("bert-base", ["seq=32", "seq=64", "seq=128", "seq=256"], batches=(1, 2))
    work = Workload.served(records, "bert-base", ("fp32",))
    assert (work.height, work.seq, work.size_label) == (None, 128, "seq 128")
    assert fastest_cpu_stack(records, "bert-base", work).tokens == 128  # not the fastest size, seq 32
    assert fastest_cpu_stack(records, "bert-base").tokens == 128
    curve = curve_from_records(records, "bert-base", seq=work.seq)
    assert curve.latencies_s == pytest.approx([1e-4 * 128, 2e-4 * 128]) and curve.label.endswith("seq=128")
    with pytest.raises(UsageError, match="at seq 48"):
        curve_from_records(records, "bert-base", seq=48)
