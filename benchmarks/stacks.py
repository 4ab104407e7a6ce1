"""Every backend x precision for VGG19 and ResNet50 at batch 1 and 8: latency, FLOP rate, fraction of the probe.

Usage: python benchmarks/stacks.py [--with-compile] [--batches 1,8]
All points run in one session, side by side, each in its own process; the probe runs first.
"""

from __future__ import annotations

import argparse

from infercost.case import Case
from infercost.pricing.catalog import cpu_ceiling
from infercost.probe import effective_precision, run_probe, save_probe, with_peak
from infercost.runner import Runner, RunOptions
from infercost.selection import candidates
from infercost.timing import TimerConfig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with-compile", action="store_true")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--models", default="vgg19,resnet50")
    args = parser.parse_args()
    probe = save_probe(run_probe("cpu", ceiling=cpu_ceiling()))
    print("probe:", ", ".join(f"{p} {r / 1e12:.3f} TFLOP/s" for p, r in probe["peak_flops_per_s"].items()),
          f"copy {probe['copy_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s")
    runner = Runner(RunOptions(TimerConfig(min_time_s=1.0, max_time_s=6.0), timeout_s=900))
    pairs = candidates("cpu", None, None, include_slow=args.with_compile)
    best: dict[str, tuple[float, str]] = {}
    print(f"{'model':9} {'batch':>5} {'backend':14} {'prec':5} {'ran at':6} {'status':11} {'median':>10} "
          f"{'TFLOP/s':>8} {'of peak':>8} {'ok?':>4}")
    for model in args.models.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            for backend, precision in pairs:
                record = with_peak(runner.run(Case(model, backend=backend, precision=precision, batch_size=batch)),
                                   probe)
                latency = f"{record.latency_s * 1e3:8.2f}ms" if record.latency_s else "-"
                rate = f"{record.achieved_flops_per_s / 1e12:8.3f}" if record.achieved_flops_per_s else "-"
                frac = f"{record.fraction_of_peak:8.0%}" if record.fraction_of_peak else "-"
                print(f"{model:9} {batch:5d} {backend:14} {precision:5} {effective_precision(record):6} "
                      f"{record.status:11} {latency:>10} {rate:>8} {frac:>8} {str(record.accuracy_ok):>4}",
                      flush=True)
                if record.fraction_of_peak and record.accuracy_ok:
                    key = model
                    if record.fraction_of_peak > best.get(key, (0, ""))[0]:
                        best[key] = (record.fraction_of_peak, f"{backend} {precision} batch {batch}")
    for model, (fraction, stack) in best.items():
        print(f"best {model} stack by fraction of its precision's probed peak: {stack} at {fraction:.0%}")


if __name__ == "__main__":
    main()
