"""infercost's median against torch.utils.benchmark's blocked_autorange for the same call, back to back.

`infercost bench resnet50 --batch 1 --resolution 64` runs in its own process as it always does; the reference
runs in this process with the same thread count. The two alternate, and the ratio of medians is printed.
"""

from __future__ import annotations

import statistics

import torch
import torch.utils.benchmark as tb

from infercost.case import Case
from infercost.models import resolve_model
from infercost.runner import Runner


def reference_median(threads: int) -> float:
    spec = resolve_model("resnet50")
    model = spec.create()
    x = spec.example_input(1, 64, 64)
    torch.set_num_threads(threads)
    with torch.inference_mode():
        timer = tb.Timer("model(x)", globals={"model": model, "x": x}, num_threads=threads)
        return timer.blocked_autorange(min_run_time=3).median


def main(rounds: int = 3) -> None:
    threads = torch.get_num_threads()
    ours, theirs = [], []
    for _ in range(rounds):
        record = Runner().run(Case("resnet50", batch_size=1, height=64, width=64))
        assert record.ok, record.error
        ours.append(record.latency_s)
        theirs.append(reference_median(threads))
        print(f"  infercost median {ours[-1] * 1e3:.3f} ms   blocked_autorange median {theirs[-1] * 1e3:.3f} ms   "
              f"ratio {ours[-1] / theirs[-1]:.3f}")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"resnet50 b1 64x64, {threads} threads, {rounds} alternating rounds: median of ratios "
          f"{statistics.median(o / t for o, t in zip(ours, theirs, strict=True)):.3f}, ratio of medians {ratio:.3f} "
          f"(target within 0.95-1.05)")


if __name__ == "__main__":
    main()
