"""Exercise every CUDA path on a GPU machine and print what happened (run it where a GPU is lent).

    python benchmarks/gpu_check.py [--out DIR]

Covers: the fingerprint's GPU fields, torch eager fp32/fp16/bf16 with CUDA synchronisation inside the clock,
the CUDA allocator cap (--memory-limit) giving oom, ONNX Runtime's CUDA and TensorRT providers where installed,
--backend auto on cuda, the device probe, a short load test with dynamic batching on cuda, gpt2 generation at three
precisions, and continuous batching of gpt2 on cuda against the simulator. Without a GPU it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from infercost.case import Case
from infercost.commands.bench import run_bench
from infercost.commands.loadtest import LoadedEngine, LoadedStacks, LoadRun, generation_loadtest, loadtest
from infercost.env import fingerprint
from infercost.grid import Grid
from infercost.probe import run_probe
from infercost.runner import Runner, RunOptions
from infercost.serving import Policy
from infercost.serving.target import ServingTarget
from infercost.timing import TimerConfig


def line(record) -> str:
    latency = f"{record.latency_s * 1e3:.3f} ms" if record.latency_s else "-"
    return (f"{record.model:9} {record.backend:12} {record.device:7} {record.precision:5} b{record.batch_size:<3} "
            f"{record.status:11} median {latency:>12}  peak mem {record.peak_memory_bytes}  "
            f"acc_ok {record.accuracy_ok}  {record.error or ''}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="gpu-check-results")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device here: nothing to check")
        return
    env = fingerprint()
    print("gpus:", env["gpus"], "driver:", env["gpu_driver"], "cuda:", env["cuda_version"])
    start = time.time()
    probe = run_probe("cuda")
    print("probe:", json.dumps({k: f"{v / 1e12:.1f} TFLOP/s" for k, v in probe["peak_flops_per_s"].items()}),
          f"copy {probe['copy_bandwidth_bytes_per_s'] / 1e9:.0f} GB/s")
    runner = Runner(RunOptions(TimerConfig(min_time_s=0.5, max_time_s=3.0), timeout_s=300))
    for precision in ("fp32", "fp16", "bf16"):
        for batch in (1, 32):
            print(line(runner.run(Case("resnet50", device="cuda", precision=precision, batch_size=batch))))
    print(line(runner.run(Case("resnet50", device="cuda", precision="fp16", batch_size=32, channels_last=True))))
    capped = Runner(RunOptions(TimerConfig(min_time_s=0.2, max_time_s=1.0), timeout_s=300, memory_limit_bytes=1 << 30))
    print("1 GiB cap:", line(capped.run(Case("vgg19", device="cuda", batch_size=256))))
    for backend in ("onnxruntime", "tensorrt"):
        for precision in ("fp32", "fp16"):
            print(line(runner.run(Case("resnet50", backend=backend, device="cuda", precision=precision))))
    records = run_bench(Grid(("resnet50",), ("auto",), ("cuda",), ("auto",), (1, 8)),
                        RunOptions(TimerConfig(min_time_s=0.5, max_time_s=3.0)), args.out, progress=False)
    for record in records:
        print("auto:", line(record), "winner", (record.selection or {}).get("winner"))
    case = Case("resnet50", device="cuda", precision="fp16", height=64, width=64)
    served = LoadedStacks(case, 4)
    rate = 0.5 * served.curve().best_throughput(1)
    data = loadtest(case, ServingTarget(rate, 0.05), Policy(4, 0.002), run=LoadRun(5.0, 5.0, 5),
                    stacks=served).to_dict()
    print(f"loadtest cuda fp16 64px at {rate:.0f} qps, dynamic batching: measured p99 "
          f"{data['p99_s'] * 1e3:.2f} ms (95% interval {data['p99_ci95_s'][0] * 1e3:.2f} to "
          f"{data['p99_ci95_s'][1] * 1e3:.2f}), simulated p99 {data['simulated']['p99_s'] * 1e3:.2f} ms, "
          f"utilization {data['utilization']:.0%}, mean batch {data['mean_batch']:.2f}")
    generation = Grid(("gpt2",), ("torch",), ("cuda",), ("fp32", "fp16", "bf16"), (1, 8), dims=("seq=128",),
                      output_lens=(32,)).cases()
    for record in (runner.run(c) for c in generation):
        g = record.generation or {}
        print(f"generation gpt2 cuda {record.precision} b{record.batch_size} prompt 128 +32: {record.status} "
              f"TTFT {g.get('ttft_s')} TPOT {g.get('tpot_s')} tok/s {g.get('output_tokens_per_s')} "
              f"peak {record.peak_memory_bytes} {record.error or ''}")
    loaded = LoadedEngine(Case("gpt2", device="cuda", precision="bf16"), (128, 128), (16, 64), 16)
    rate = 0.6 * loaded.capacity(loaded.profile())
    data = generation_loadtest(loaded, rate, LoadRun(10.0)).to_dict()
    sim, meas = data["simulated"], data["measured"]
    print(f"continuous batching gpt2 cuda bf16 at {rate:.1f} qps (60% of capacity): " + ", ".join(
        f"{k[:-2]} sim/measured {sim[k] * 1e3:.1f}/{meas[k] * 1e3:.1f} ms" for k in sim))
    print(f"gpu check took {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
