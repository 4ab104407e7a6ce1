"""The continuous-batching simulator against real continuous batching: p50 and p99 TTFT and TPOT at 30%, 60% and
85% of capacity, simulated over measured, side by side in one run.

    python benchmarks/continuous_vs_loadtest.py [--model gpt2] [--precision fp32] [--prompt-len 32]
        [--output-len 16:48] [--max-batch 8] [--duration 30] [--levels 0.3,0.6,0.85] [--threads N] [--seed 0]

Each level is `infercost loadtest MODEL --prompt-len P --output-len O --qps R` (commands/loadtest.py): the engine
(generation/engine.py) serves an open-loop Poisson stream in this process with the iteration-level scheduler the
simulator models. Before each level the engine's prefill and decode forwards are timed in isolation and fitted as the
simulator's step cost, and the simulator serves the very same arrivals and lengths. Capacity is the simulated
throughput of one replica with every request waiting at once. The KV-cache budget holds --max-batch requests of the
longest lengths. Goal (issue 18): every ratio within 20% (0.8 to 1.2).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from infercost.commands.loadtest import LoadedEngine, LoadRun, generation_loadtest
from infercost.grid import single_case
from infercost.serving.continuous import parse_lengths

KEYS = ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gpt2")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--prompt-len", default="32")
    parser.add_argument("--output-len", default="16:48")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds of arrivals per level.")
    parser.add_argument("--levels", default="0.3,0.6,0.85")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    prompt = parse_lengths(args.prompt_len, "--prompt-len")
    output = parse_lengths(args.output_len, "--output-len")
    loaded = LoadedEngine(single_case(args.model, "torch", "cpu", precision=args.precision), prompt, output,
                          args.max_batch,
                          args.seed)
    capacity = loaded.capacity(loaded.profile())
    print(f"{args.model} {args.precision}, torch {torch.__version__}, {torch.get_num_threads()} threads; prompt "
          f"{args.prompt_len}, output {args.output_len}, KV budget {loaded.budget.kv_tokens} tokens (batch <= "
          f"{args.max_batch})")
    print(f"capacity (simulated, all waiting at once): {capacity:.2f} requests/s")
    print(f"{'load':>5} {'qps':>6} {'n':>4}  " + "  ".join(f"{k[:8] + ' sim/meas (ms)':>26}" for k in KEYS))
    ratios, inside = [], []
    for i, level in enumerate(float(x) for x in args.levels.split(",")):
        started = time.perf_counter()
        data = generation_loadtest(loaded, level * capacity, LoadRun(args.duration, seed=args.seed + i)).to_dict()
        took = time.perf_counter() - started
        sim, meas, ci = data["simulated"], data["measured"], data["measured_ci95"]
        row = [sim[k] / meas[k] for k in KEYS]
        ratios.append(row)
        inside.append([ci[k[:-2] + "_ci95_s"][0] <= sim[k] <= ci[k[:-2] + "_ci95_s"][1] for k in KEYS])
        cells = "  ".join(f"{sim[k] * 1e3:8.1f} / {meas[k] * 1e3:7.1f} = {r:5.2f}" for k, r in
                          zip(KEYS, row, strict=True))
        print(f"{level:5.0%} {data['qps']:6.2f} {data['requests']:4d}  {cells}   (mean decode batch "
              f"{data['mean_decode_batch']:.1f}, {took:.0f} s)")
        print(" " * 18 + "  ".join(f"{'measured 95%: ' + format(ci[k[:-2] + '_ci95_s'][0] * 1e3, '.0f'):>17} to "
                                   f"{ci[k[:-2] + '_ci95_s'][1] * 1e3:<6.0f}" for k in KEYS))
    flat, within = np.array(ratios), np.array(inside)
    print(f"ratios from {flat.min():.2f} to {flat.max():.2f}; within 20%: {int(((flat >= 0.8) & (flat <= 1.2)).sum())}"
          f" of {flat.size}; simulated inside the measured percentile's 95% interval: {int(within.sum())} of "
          f"{within.size}")


if __name__ == "__main__":
    main()
