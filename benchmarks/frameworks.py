"""MXNet, TensorFlow, PyTorch, ONNX Runtime and OpenVINO side by side: ResNet50 and VGG19 at batch 1 and 8, fp32.

Usage: python benchmarks/frameworks.py [--resolution 224] [--batches 1,8] [--models resnet50,vgg19]
Every point runs in its own process in one session (MXNet and TensorFlow in their own environments, created on
first use); the ratio is each stack's median latency over PyTorch's at the same point, measured minutes apart.
MXNet and TensorFlow draw their own random weights, so their outputs are compared by shape and range only.
"""

from __future__ import annotations

import argparse

from infercost.case import Case
from infercost.runner import Runner, RunOptions
from infercost.timing import TimerConfig

STACKS = ("torch", "onnxruntime", "openvino", "mxnet", "tensorflow")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--models", default="resnet50,vgg19")
    parser.add_argument("--stacks", default=",".join(STACKS))
    args = parser.parse_args()
    runner = Runner(RunOptions(TimerConfig(min_time_s=1.0, max_time_s=6.0), timeout_s=1200))
    print(f"{'model':9} {'batch':>5} {'stack':12} {'status':8} {'median':>10} {'vs torch':>9}  versions / note")
    for model in args.models.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            torch_median = None
            for stack in args.stacks.split(","):
                record = runner.run(Case(model, backend=stack, batch_size=batch, height=args.resolution,
                                         width=args.resolution))
                median = record.latency_s
                if stack == "torch":
                    torch_median = median
                ratio = f"{median / torch_median:8.2f}x" if median and torch_median else "-"
                libs = record.env.get("libraries", {})
                note = libs.get(stack) or libs.get(f"{stack}-cpu") or ""
                if not record.ok:
                    note = (record.error or "")[:90]
                shown = f"{median * 1e3:8.2f}ms" if median else "-"
                print(f"{model:9} {batch:>5} {stack:12} {record.status:8} {shown:>10} {ratio:>9}  {note}", flush=True)


if __name__ == "__main__":
    main()
