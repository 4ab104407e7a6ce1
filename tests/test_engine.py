"""The in-process continuous-batching engine: its tokens are the tokens each request would get alone, and on a fake
clock that charges the simulator's step cost it schedules exactly as the simulator does."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from infercost.generation.engine import Engine  # noqa: E402
from infercost.serving.continuous import Budget, StepCost, simulate_continuous  # noqa: E402

VOCAB = 97


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=VOCAB, n_positions=128,
                                     bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(config).eval()


def alone(model, prompt, output: int) -> list[int]:
    """Greedy tokens of one prompt with no batch around it, by plain forwards without a cache."""
    ids = prompt[None, :]
    tokens = []
    with torch.inference_mode():
        for _ in range(output):
            token = model(input_ids=ids).logits[0, -1].argmax()
            tokens.append(int(token))
            ids = torch.cat([ids, token.view(1, 1)], dim=1)
    return tokens


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Charged(Engine):
    """Each forward advances the fake clock by what the simulator's step cost charges for it."""

    def __init__(self, model, budget: Budget, cost: StepCost, clock: FakeClock) -> None:
        super().__init__(model, VOCAB, budget, clock=clock, sleep=clock.sleep)
        self.cost, self.fake = cost, clock

    def prefill(self, prompts):
        self.fake.now += self.cost.prefill_s([len(p) for p in prompts])
        return super().prefill(prompts)

    def decode(self, batch):
        context = int(batch.mask.sum()) + batch.size  # every row's cache and the token it feeds
        self.fake.now += self.cost.decode_s(batch.size, context / batch.size)
        super().decode(batch)


def test_requests_batched_together_get_the_tokens_they_would_get_alone(model):
    engine = Engine(model, VOCAB, Budget(10_000))
    arrivals = np.zeros(4)
    prompts, outputs = np.array([5, 11, 3, 8]), np.array([6, 3, 9, 5])
    served = engine.serve(arrivals, prompts, outputs)
    generator = torch.Generator().manual_seed(0)
    for i in range(4):  # the engine draws its prompts from the same seed, in request order
        prompt = torch.randint(0, VOCAB, (int(prompts[i]),), generator=generator)
        assert served["tokens"][i] == alone(model, prompt, int(outputs[i]))
    assert all(len(t) == o for t, o in zip(served["tokens"], outputs, strict=True))


def test_on_a_fake_clock_the_engine_schedules_as_the_simulator_does(model):
    cost = StepCost((0.01, 0.001, 1e-5), (0.02, 0.002, 1e-5))
    budget = Budget(kv_tokens=60, step_tokens=20)  # some requests wait for cache, some for the step's token budget
    rng = np.random.default_rng(3)
    arrivals = np.cumsum(rng.exponential(0.05, 25))
    prompts, outputs = rng.integers(2, 15, 25), rng.integers(1, 12, 25)
    clock = FakeClock()
    served = Charged(model, budget, cost, clock).serve(arrivals, prompts, outputs)
    simulated = simulate_continuous(arrivals, prompts, outputs, cost=cost, budget=budget)
    for key in ("ttft_s", "tpot_s", "e2e_s"):
        np.testing.assert_allclose(served[key], simulated[key], rtol=1e-9, atol=1e-12)
    assert max(len(step["prompts"]) for step in served["iterations"]) > 1  # it did batch prefills
    assert max(step["decoded"] for step in served["iterations"]) > 1  # and decodes
    for step in served["iterations"]:  # each iteration's forwards took what the step cost charges for them
        charged = cost.prefill_s(step["prompts"]) + cost.decode_s(step["decoded"], step["context"] /
                                                                  max(step["decoded"], 1))
        assert step["end"] - step["start"] == pytest.approx(charged, abs=1e-12)


def test_the_profile_fits_a_step_cost_from_timed_forwards(model):
    clock = FakeClock()
    cost = StepCost((0.004, 0.0005, 0.0), (0.01, 0.003, 0.0))
    engine = Charged(model, Budget(10_000), cost, clock)
    fitted = engine.profile([4, 8, 16], [1, 2, 4], [4, 8], repeats=2)
    assert fitted.prefill_s([12]) == pytest.approx(cost.prefill_s([12]), rel=1e-6)
    assert fitted.decode_s(3, 10) == pytest.approx(cost.decode_s(3, 10), rel=1e-6)


def test_loadtest_generates_a_poisson_stream_and_simulates_the_same_one(model, tmp_path):
    import json

    from click.testing import CliRunner

    from infercost.cli import cli

    model.save_pretrained(tmp_path / "tiny")
    result = CliRunner().invoke(cli, ["loadtest", f"hf:{tmp_path / 'tiny'}", "--qps", "20", "--prompt-len", "4:8",
                                      "--output-len", "3", "--max-batch", "4", "--duration", "1s", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["requests"] == 20 and data["kv_budget_tokens"] == 4 * (8 + 3)
    for side in ("measured", "simulated"):
        assert 0 < data[side]["ttft_p50_s"] <= data[side]["ttft_p99_s"]
        assert 0 < data[side]["tpot_p50_s"] <= data[side]["tpot_p99_s"]
    half = CliRunner().invoke(cli, ["loadtest", f"hf:{tmp_path / 'tiny'}", "--qps", "20", "--prompt-len", "4"])
    assert half.exit_code == 2 and "--output-len" in half.output
