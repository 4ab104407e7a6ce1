"""The simulator's p99 against a real load test's p99 at 30%, 60% and 85% of capacity, and the simulator's speed.

    python benchmarks/serving_vs_loadtest.py [--model resnet50] [--resolution 64] [--duration 30] [--warmup 10]
        [--threads 1] [--device cpu|cuda] [--precision fp32]

Batch-1 serving (no batching), so capacity is 1 / batch-1 latency (the median of ten seconds of calls). A warm-up
serves the same rate for --warmup seconds, in --blocks pieces that alternate with the measured pieces, so that the
machine's drift (a shared VM slows for seconds at a time) falls alike on both. The simulator then serves the very same
arrival times as the load test three ways: with the service times the warm-up saw (back to back and after an idle
gap, apart), walked in the order they came, each measured piece with the warm-up piece beside it; the same, shuffled
over the whole run; and with the latency curve measured back to back just before (plus an after-idle curve). All three
ratios are printed, with the measured p99's own 95% interval (a p99 of few requests is itself uncertain).
--threads pins the intra-op threads, so that the second core absorbs the machine's own noise.
"""

from __future__ import annotations

import argparse
import statistics
import time

from infercost.case import Case
from infercost.commands.loadtest import LoadedStacks, LoadRun, loadtest
from infercost.serving import LatencyCurve, Policy, poisson, simulate
from infercost.serving.target import ServingTarget


def drift(served: LoadedStacks, seconds: float) -> list[float]:
    """Median batch-1 latency in each one-second window of back-to-back calls: how stationary the service is."""
    windows, current, start = [], [], time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        served.run(1)
        current.append(time.perf_counter() - now)
        if time.perf_counter() - start >= len(windows) + 1:
            windows.append(sorted(current)[len(current) // 2])
            current = []
    return windows


def order(data: dict) -> str:
    return f", piece by piece ({data['blocks']} pieces)" if data["blocks"] > 1 else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="Load tests per level; medians are compared.")
    parser.add_argument("--blocks", type=int, default=None,
                        help="Warm-up and measured time alternate in this many pieces (default: one per 10 s).")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    curve = LatencyCurve([1, 2, 4, 8], [0.01, 0.014, 0.022, 0.038])
    start = time.perf_counter()
    simulate(poisson(150, 1_000_000), curve, Policy(8, 0.005), slo_s=0.05)
    print(f"one million Poisson requests with dynamic batching simulated in {time.perf_counter() - start:.2f} s")

    case = Case(args.model, backend=args.backend, device=args.device, precision=args.precision,
                height=args.resolution, width=args.resolution)
    served = LoadedStacks(case, 1)
    windows = drift(served, seconds=10.0)
    print(f"service-time drift, back to back: 1-second window medians {min(windows) * 1e3:.1f} to "
          f"{max(windows) * 1e3:.1f} ms ({max(windows) / min(windows) - 1:.0%} apart) over {len(windows)} s")
    capacity = 1 / statistics.median(windows)  # ten seconds of calls: steadier than one short curve
    print(f"{args.model} {args.backend} {args.device} {args.precision} {args.resolution}px batch-1 capacity about "
          f"{capacity:.1f} requests/s (the median of those windows)")
    for load in (0.30, 0.60, 0.85):
        runs = []
        for repeat in range(args.repeats):
            data = loadtest(case, ServingTarget(load * capacity, None), Policy.none(),
                            run=LoadRun(args.duration, args.warmup, args.blocks, seed=int(load * 100) + 1000 * repeat),
                            stacks=served).to_dict()
            p99 = data["p99_s"]
            low, high = data["p99_ci95_s"]
            sims = [data[key]["p99_s"] for key in ("simulated", "simulated_warmup_shuffled", "simulated_from_curve")]
            runs.append((p99, *sims))
            print(f"load {load:.0%}: {data['qps']:.1f} qps, {data['requests']} requests, utilization "
                  f"{data['utilization']:.0%}: measured p99 {p99 * 1e3:.2f} ms (95% interval {low / p99:.2f}x to "
                  f"{high / p99:.2f}x); simulated/measured p99: warm-up in order{order(data)} {sims[0] / p99:.3f}, "
                  f"warm-up shuffled {sims[1] / p99:.3f}, curve {sims[2] / p99:.3f} (target 0.85-1.15)", flush=True)
        if args.repeats > 1:
            measured, *sims = (statistics.median(column) for column in zip(*runs, strict=True))
            print(f"load {load:.0%}, median of {args.repeats}: measured p99 {measured * 1e3:.2f} ms; "
                  f"simulated/measured {sims[0] / measured:.3f} (warm-up in order), "
                  f"{sims[1] / measured:.3f} (shuffled), {sims[2] / measured:.3f} (curve)", flush=True)


if __name__ == "__main__":
    main()
