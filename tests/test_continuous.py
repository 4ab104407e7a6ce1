"""The continuous-batching simulator: exact on hand-made step costs, the KV budget holds requests back, the step
cost fitted to records recovers its terms, and capacity, replicas and cost per million output tokens follow."""

from __future__ import annotations

import numpy as np
import pytest

from infercost.case import Case
from infercost.results import Record
from infercost.serving.continuous import (
    Budget,
    GenerationTarget,
    StepCost,
    fit_step_cost,
    parse_lengths,
    serve_generation,
    simulate_continuous,
)

COST = StepCost(prefill=(0.0, 0.001, 0.0), decode=(0.02, 0.0, 0.0))  # 1 ms a prompt token, 20 ms a decode step


def test_one_request_alone_takes_its_prefill_then_a_step_a_token():
    sim = simulate_continuous(np.array([0.0]), np.array([100]), np.array([5]), cost=COST, budget=Budget(1000))
    assert sim["ttft_s"][0] == pytest.approx(0.1)
    assert sim["tpot_s"][0] == pytest.approx(0.02) and sim["e2e_s"][0] == pytest.approx(0.1 + 4 * 0.02)


def test_a_request_joins_the_running_batch_and_a_full_cache_holds_one_back():
    arrivals, prompts, outputs = np.array([0.0, 0.0]), np.array([100, 100]), np.array([3, 3])
    together = simulate_continuous(arrivals, prompts, outputs, cost=COST, budget=Budget(1000))
    assert together["ttft_s"] == pytest.approx([0.2, 0.2])  # both prompts in one iteration
    held = simulate_continuous(arrivals, prompts, outputs, cost=COST, budget=Budget(150))
    assert held["ttft_s"][0] == pytest.approx(0.1)
    # The second is admitted once the first finished and freed its cache: after its two decode steps.
    assert held["ttft_s"][1] == pytest.approx(0.1 + 2 * 0.02 + 0.1)
    limited = simulate_continuous(arrivals, prompts, outputs, cost=COST, budget=Budget(1000, step_tokens=150))
    assert limited["ttft_s"][1] > limited["ttft_s"][0]  # the token budget admits one prompt a step


def _record(batch: int, prompt: int, output: int, ttft: float, tpot: float) -> Record:
    case = Case.from_dict({"model": "gpt2", "batch_size": batch, "inputs": [
        {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]}],
        "options": {"dims": f"seq={prompt}", "output_len": output}})
    return Record.for_case(case, run_id="r", status="ok", env={}, generation={
        "prompt_tokens": prompt, "output_tokens": output, "ttft_s": ttft, "tpot_s": tpot,
        "output_tokens_per_s": batch * output / (ttft + tpot * (output - 1))})


def test_the_step_cost_fitted_to_records_recovers_its_terms():
    truth = StepCost((0.005, 2e-4, 1e-7), (0.01, 0.002, 1e-6))
    records = [_record(b, p, 32, truth.prefill_s([p] * b), truth.decode_s(b, p + 16))
               for b in (1, 2, 4) for p in (64, 256, 512)]
    found = fit_step_cost(records)
    for b, p in ((1, 128), (8, 384)):
        assert found.prefill_s([p] * b) == pytest.approx(truth.prefill_s([p] * b), rel=0.02)
        assert found.decode_s(b, p) == pytest.approx(truth.decode_s(b, p), rel=0.02)
    single = fit_step_cost([_record(1, 128, 32, 0.128, 0.02)])
    assert single.prefill_s([256]) == pytest.approx(0.256) and single.decode_s(4, 500) == pytest.approx(0.02)


def test_capacity_replicas_and_the_cost_of_a_million_output_tokens():
    target = GenerationTarget(qps=2.0, prompt=(100, 100), output=(10, 10), slo_ttft_s=0.5, slo_tpot_s=0.1)
    found = serve_generation(COST, Budget(20_000), target, price_per_hour=1.0, requests=400)
    assert found["max_qps_under_slo"] > 0 and found["replicas"] == max(1, -(-2.0 // found["max_qps_under_slo"]))
    month_tokens = 2.0 * 730 * 3600 * 10
    assert found["cost_per_million_output_tokens"] == pytest.approx(found["replicas"] * 730 / month_tokens * 1e6)
    assert found["goodput_per_s"] <= 2.0 and found["ttft_p50_s"] >= 0.1
    tighter = serve_generation(COST, Budget(20_000), GenerationTarget(2.0, (100, 100), (10, 10), 0.15, 0.1),
                               requests=400)
    assert tighter["max_qps_under_slo"] <= found["max_qps_under_slo"]


def test_lengths_parse_fixed_or_as_a_range():
    assert parse_lengths("128", "prompt length") == (128, 128)
    assert parse_lengths("64:512", "prompt length") == (64, 512)
    from infercost.errors import UsageError

    for bad in ("0", "512:64", "x"):
        with pytest.raises(UsageError):
            parse_lengths(bad, "prompt length")


def _store_generation(directory) -> None:
    from infercost.results import ResultsStore

    store = ResultsStore(directory)
    for b in (1, 4):
        for p in (64, 256):
            record = _record(b, p, 16, 0.002 * b * p / 10, 0.02 + 0.002 * b)
            record = record.model_copy(update={"params": 124_439_808, "env": {"ram_bytes": 8 * 2**30},
                                               "generation": {**record.generation,
                                                              "kv_cache_bytes": 36_864 * b * (p + 16)}})
            store.append(record.with_samples([0.5]))


def test_simulate_serves_a_language_model_from_generation_records(tmp_path):
    import json

    from click.testing import CliRunner

    from infercost.cli import cli

    _store_generation(tmp_path)
    result = CliRunner().invoke(cli, ["simulate", "--results", str(tmp_path), "--model", "gpt2", "--qps", "2",
                                      "--prompt-len", "64:256", "--output-len", "16", "--slo-ttft-ms", "500",
                                      "--slo-tpot-ms", "100", "--price-per-hour", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "goodput_per_s", "max_qps_under_slo",
                "replicas", "cost_per_million_output_tokens"):
        assert data[key] is not None, key
    assert data["kv_budget_tokens"] == int((8 * 2**30 * 0.9 - 124_439_808 * 4) // 36_864)
    missing = CliRunner().invoke(cli, ["simulate", "--results", str(tmp_path), "--model", "gpt2", "--qps", "2",
                                       "--output-len", "16"])
    assert missing.exit_code == 2 and "--slo-ttft-ms" in missing.output


def _naive(arrivals, prompts, outputs, cost, budget):
    """The scheduler one iteration at a time, written plainly: the fast-forwarding one must agree with it."""
    from collections import deque

    count = len(arrivals)
    first, done = np.full(count, np.nan), np.full(count, np.nan)
    waiting, running, made = deque(), [], np.zeros(count, dtype=int)
    kv, now, nxt = 0, 0.0, 0
    while nxt < count or waiting or running:
        if not waiting and not running:
            now = max(now, arrivals[nxt])
        while nxt < count and arrivals[nxt] <= now:
            waiting.append(nxt)
            nxt += 1
        room, admitted = budget.step_tokens - len(running), []
        while waiting:
            head = waiting[0]
            need = prompts[head] + outputs[head]
            if kv + need > budget.kv_tokens or not (prompts[head] <= room or (not admitted and not running)):
                break
            admitted.append(waiting.popleft())
            kv += need
            room -= prompts[head]
        context = sum(prompts[i] + made[i] for i in running)
        step = cost.prefill_s([int(prompts[i]) for i in admitted])
        if running:
            d, e, f = cost.decode
            step += d + e * len(running) + f * context
        now += max(step, 1e-9)
        for i in running:
            made[i] += 1
        for i in admitted:
            made[i], first[i] = 1, now
        running += admitted
        for i in [i for i in running if made[i] >= outputs[i]]:
            done[i], kv = now, kv - prompts[i] - outputs[i]
        running = [i for i in running if made[i] < outputs[i]]
    return first - arrivals, done - arrivals


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_advancing_decode_runs_together_agrees_with_one_iteration_at_a_time(seed):
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(0.05, 150))
    prompts, outputs = rng.integers(16, 200, 150), rng.integers(1, 40, 150)
    cost = StepCost((0.002, 1e-4, 1e-8), (0.01, 0.001, 2e-6))
    budget = Budget(1500, step_tokens=400)
    fast = simulate_continuous(arrivals, prompts, outputs, cost=cost, budget=budget)
    ttft, e2e = _naive(arrivals, prompts, outputs, cost, budget)
    assert fast["ttft_s"] == pytest.approx(ttft, rel=1e-9, abs=1e-9)
    assert fast["e2e_s"] == pytest.approx(e2e, rel=1e-9, abs=1e-9)


@pytest.mark.slow  # ranks the whole catalog (about ten seconds)
def test_the_report_serves_generation_and_prices_a_million_output_tokens(tmp_path):
    import re

    from infercost.commands.report import make_report

    _store_generation(tmp_path)
    html_path, _ = make_report(str(tmp_path), price_per_hour=1.0)
    page = html_path.read_text()
    assert "Serving generation: cost per million output tokens" in page
    section = page[page.index("Serving generation"):]
    tables = re.findall(r'<table class="sortable generation-serving">(.*?)</table>', section)
    assert len(tables) == 2  # served here, then the cheapest instances predicted
    here_rows = re.findall(r"<tr><td>(.*?)</td>.*?</tr>", tables[0])
    assert here_rows == ["torch fp32 (cpu)"]
    cells = re.findall(r"<td>(.*?)</td>", tables[0])
    served = simulate_generation_for_test(tmp_path)
    assert f"{served.cost_per_million_output_tokens:.3g}" in cells
    assert len(re.findall(r"<tr>", tables[1])) >= 2  # a head and at least one predicted instance


def simulate_generation_for_test(directory):
    from infercost.commands.serving import simulate_generation
    from infercost.results import load_records

    return simulate_generation(load_records(directory), "gpt2", GenerationTarget.default(64), price_per_hour=1.0)


def test_the_default_generation_load_says_what_it_assumes():
    text = GenerationTarget.default(512).describe()
    assert text == ("2 requests/s (Poisson), prompt 512 tokens, output 128 tokens, p99 TTFT under 2000 ms and p99 "
                    "TPOT under 100 ms")


def test_with_several_replicas_the_percentiles_are_each_replicas_at_its_share_of_the_rate():
    target = GenerationTarget(qps=30.0, prompt=(64, 64), output=(16, 16), slo_ttft_s=1.0, slo_tpot_s=0.05)
    budget = Budget(kv_tokens=4096)
    served = serve_generation(COST, budget, target, requests=500)
    assert served["replicas"] > 1
    from infercost.serving.continuous import summary_at

    share = summary_at(COST, budget, target, qps=30.0 / served["replicas"], requests=500)
    assert served["ttft_p99_s"] == share["ttft_p99_s"] and served["tpot_p99_s"] == share["tpot_p99_s"]
    assert served["ttft_p99_s"] <= target.slo_ttft_s and served["qps"] == 30.0
    assert served["goodput_per_s"] == pytest.approx(share["met_fraction"] * 30.0)


def test_decode_steps_timed_at_every_batch_are_kept_one_by_one_and_the_simulator_uses_them():
    from infercost.serving.continuous import fit_points

    steps = {1: 0.028, 2: 0.052, 3: 0.066, 4: 0.058}  # a CPU's kernels change with the batch: no line follows
    decode = [(n, ctx, t + 1e-5 * n * ctx) for n, t in steps.items() for ctx in (32, 80)]
    cost = fit_points([(1, 16, 0.02), (1, 32, 0.04), (1, 64, 0.08)], decode, "profile")
    for n, t in steps.items():
        assert cost.decode_s(n, 50) == pytest.approx(t + 1e-5 * n * 50, rel=1e-6)
    assert cost.decode_base(6) == pytest.approx(cost.decode[0] + cost.decode[1] * 6)  # past the table: the line
    sparse = fit_points([(1, 16, 0.02)], [(n, 32, t) for n, t in steps.items() if n != 3], "records")
    assert sparse.decode_by_batch == ()  # not every batch measured: the line alone
    # The simulator charges the table: one request alone decodes at 28 ms a step.
    one = simulate_continuous(np.array([0.0]), np.array([16]), np.array([11]), cost=cost, budget=Budget(1000))
    assert one["tpot_s"][0] == pytest.approx(cost.decode_s(1, 16 + 1 + 4.5), rel=1e-6)  # the mean context


def test_prefills_timed_at_every_count_of_prompts_get_an_intercept_per_count():
    from infercost.serving.continuous import fit_points

    fixed = {1: 0.040, 2: 0.060, 3: 0.066, 4: 0.070}  # several prompts together cost less than each alone
    prefill = [(n, p, fixed[n] + 0.001 * n * p) for n in fixed for p in (16, 32, 64)]
    cost = fit_points(prefill, [(1, 32, 0.03)], "profile")
    for n in fixed:
        assert cost.prefill_s([32] * n) == pytest.approx(fixed[n] + 0.001 * 32 * n, rel=1e-6)
    assert cost.prefill_s([32] * 6) == pytest.approx(0.070 + 0.001 * 32 * 6, rel=1e-6)  # past the table
    alone = fit_points([(1, p, 0.04 + 0.001 * p) for p in (16, 32, 64)], [(1, 32, 0.03)], "one at a time")
    assert alone.prefill_by_count == () and alone.prefill_s([32]) == pytest.approx(0.072, rel=1e-6)


def test_measured_and_predicted_kv_budgets_keep_the_same_headroom(tmp_path):
    """One fraction of memory kept free: the budget from records and the one predicted for a device agree."""
    from infercost.commands.serving import kv_budget_tokens
    from infercost.generation.kv import KV_HEADROOM
    from infercost.predict.generation import DecoderShape, kv_tokens
    from infercost.predict.roofline import DeviceSpec
    from infercost.results import load_records

    _store_generation(tmp_path)
    records = load_records(tmp_path)
    memory = 8 * 2**30
    measured = kv_budget_tokens(records, memory)
    shape = DecoderShape(params=124_439_808, layers=12, hidden=768, kv_elements_per_token=36_864 // 4)
    device = DeviceSpec("a machine", "cpu", {"fp32": 1e12}, 1e11, memory, "test")
    assert measured == kv_tokens(shape, device, "fp32")
    assert measured == int((memory * (1 - KV_HEADROOM) - 124_439_808 * 4) // 36_864)


@pytest.mark.parametrize("count", [2, 3, 10, 1000])
@pytest.mark.parametrize("rate", [0.5, 2.0, 37.0])
def test_any_trace_asked_for_a_rate_arrives_at_that_mean_rate(count, rate, tmp_path):
    """Images' traces (serving.arrivals) and generation's (GenerationTarget.trace) are scaled by one rule."""
    from infercost.serving.arrivals import arrivals

    rng = np.random.default_rng(count)
    times = np.sort(rng.exponential(3.0, count).cumsum())
    trace = tmp_path / "trace.csv"
    trace.write_text("\n".join(f"{t:.9f}" for t in times))
    target = GenerationTarget(1.0, (8, 8), (4, 4), 1.0, 1.0, trace=tuple((float(t), 8, 4) for t in times))
    for found in (arrivals(str(trace), rate, count), target.requests(count, qps=rate)[0]):
        assert found[0] == 0 and (len(found) - 1) / found[-1] == pytest.approx(rate, rel=1e-6)
