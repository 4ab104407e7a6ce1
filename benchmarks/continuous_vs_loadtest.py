"""The continuous-batching simulator against real continuous batching: p50 and p99 TTFT and TPOT at 30%, 60% and
85% of capacity, simulated over measured, side by side in one run.

    python benchmarks/continuous_vs_loadtest.py [--model gpt2] [--precision fp32] [--prompt-len 32]
        [--output-len 16:48] [--max-batch 8] [--duration 40] [--levels 0.3,0.6,0.85] [--threads N] [--seed 0]

The engine (generation/engine.py) serves an open-loop Poisson stream of requests in this process, with the
iteration-level scheduler the simulator models. Before each level the engine's prefill and decode forwards are
timed in isolation (`Engine.profile`) and fitted as the simulator's step cost; capacity is the simulated throughput
of one replica with every request waiting at once. The simulator then serves the very same arrival times and lengths
as the load test. The KV-cache budget holds --max-batch requests of the longest length, so the batch stays at most
that size. Goal (issue 18): every ratio within 20% (0.8 to 1.2).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from infercost.generation.engine import Engine
from infercost.models import resolve_model
from infercost.serving.continuous import Budget, parse_lengths, simulate_continuous

KEYS = ("ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99")


def stats(result: dict) -> dict:
    ttft, tpot = result["ttft_s"], result["tpot_s"]
    return {"ttft_p50": np.percentile(ttft, 50), "ttft_p99": np.percentile(ttft, 99),
            "tpot_p50": np.percentile(tpot, 50), "tpot_p99": np.percentile(tpot, 99)}


def load(model: str, precision: str):
    import torch

    spec = resolve_model(model)
    if spec.causal is None:
        raise SystemExit(f"{model} is not a causal language model")
    torch.manual_seed(0)
    net = spec.causal().eval()
    if precision == "bf16":
        net = net.to(torch.bfloat16)
    return net, spec.vocab_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gpt2")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--prompt-len", default="32")
    parser.add_argument("--output-len", default="16:48")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--duration", type=float, default=40.0, help="Seconds of arrivals per level.")
    parser.add_argument("--levels", default="0.3,0.6,0.85")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    prompt = parse_lengths(args.prompt_len, "--prompt-len")
    output = parse_lengths(args.output_len, "--output-len")
    budget = Budget(kv_tokens=args.max_batch * (prompt[1] + output[1]))
    net, vocab = load(args.model, args.precision)
    engine = Engine(net, vocab, budget, seed=args.seed)
    rng = np.random.default_rng(args.seed)

    def lengths(count: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(prompt[0], prompt[1] + 1, count), rng.integers(output[0], output[1] + 1, count)

    def profile():
        return engine.profile(sorted({max(1, prompt[0] // 2), prompt[0], prompt[1], prompt[1] * 2}),
                              sorted({1, 2, args.max_batch // 2 or 1, args.max_batch}),
                              [prompt[0], prompt[1] + output[1]], label=f"{args.model} {args.precision}")

    engine.serve(np.zeros(args.max_batch), *lengths(args.max_batch))  # warm-up
    cost = profile()
    flood = lengths(400)
    saturated = simulate_continuous(np.zeros(400), *flood, cost, budget)
    capacity = 400 / saturated["span_s"]
    print(f"{args.model} {args.precision}, torch {torch.__version__}, {torch.get_num_threads()} threads; prompt "
          f"{args.prompt_len}, output {args.output_len}, KV budget {budget.kv_tokens} tokens (batch <= "
          f"{args.max_batch})")
    print(f"capacity (simulated, all waiting at once): {capacity:.2f} requests/s")
    print(f"{'load':>5} {'qps':>6} {'n':>4}  " + "  ".join(f"{k + ' sim/meas (ms)':>26}" for k in KEYS))
    ratios = []
    for level in [float(x) for x in args.levels.split(",")]:
        cost = profile()
        rate = level * capacity
        count = max(40, int(rate * args.duration))
        arrivals = np.cumsum(rng.exponential(1.0 / rate, count))
        prompts, outputs = lengths(count)
        started = time.perf_counter()
        measured = stats(engine.serve(arrivals, prompts, outputs))
        took = time.perf_counter() - started
        simulated = stats(simulate_continuous(arrivals, prompts, outputs, cost, budget))
        row = [simulated[k] / measured[k] for k in KEYS]
        ratios.append(row)
        cells = "  ".join(f"{simulated[k] * 1e3:8.1f} / {measured[k] * 1e3:7.1f} = {r:5.2f}" for k, r in
                          zip(KEYS, row, strict=True))
        print(f"{level:5.0%} {rate:6.2f} {count:4d}  {cells}   ({took:.0f} s)")
        full = cost.decode_s(args.max_batch, prompt[1])
        print(f"       step cost: prefill {cost.prefill_s([prompt[1]]) * 1e3:.1f} ms at {prompt[1]} tokens, decode "
              f"{cost.decode_s(1, prompt[1]) * 1e3:.1f} ms at batch 1, {full * 1e3:.1f} ms at batch {args.max_batch}")
    flat = np.array(ratios)
    print(f"ratios from {flat.min():.2f} to {flat.max():.2f}; within 20%: {int(((flat >= 0.8) & (flat <= 1.2)).sum())}"
          f" of {flat.size}")


if __name__ == "__main__":
    main()
