"""Published inference measurements: the corpus the predictor is calibrated and validated on.

The package ships data/published-measurements.csv (5,137 rows, each with the URL and the field it was read from;
see its columns below); users add rows of their own with the same columns (`--published FILE`). Every row is
validated as it loads: a bad one is a UsageError naming the file and the line. A row becomes a usable point when
its model can be profiled, its accelerator is in the catalog and its metric can be turned into the time one batch
takes; the rest stay in the corpus with the reason they are not used.

    accelerator, system, stack, model, precision, batch, input, metric, value, unit, scenario, source_url,
    source_detail

Metrics become seconds per batch: throughput_per_s at batch b is b / throughput (the batch's time when batches run
back to back); latency_ms_mean is the batch's time. Percentile latencies are kept only where the same setting has
neither (a p90 is not a mean). MLPerf Server rows include queueing under load and are not used; MLPerf Offline rows
state no batch and are taken at batch OFFLINE_BATCH, where throughput has saturated.

Domain layer (predict).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from infercost.errors import UsageError
from infercost.textfiles import read_text

COLUMNS = ("accelerator", "system", "stack", "model", "precision", "batch", "input", "metric", "value", "unit",
           "scenario", "source_url", "source_detail")
METRICS = ("throughput_per_s", "latency_ms_mean", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99")
OFFLINE_BATCH = 128

# Corpus model names -> names infercost profiles (the zoo or torchvision). ResNet50 v1 and v1.5 differ by about 5%
# in FLOPs (the stride moves to the 3x3 convolution); torchvision's is v1.5 and serves both.
MODELS = {"resnet50": "resnet50", "resnet50-v1.5": "resnet50", "resnet152": "torchvision:resnet152",
          "vgg16": "torchvision:vgg16", "inception-v3": "torchvision:inception_v3", "alexnet": "torchvision:alexnet",
          "efficientnet-b0": "torchvision:efficientnet_b0", "efficientnet-b4": "torchvision:efficientnet_b4"}

# Corpus accelerator names -> catalog accelerators (the same chip; memory size apart where bandwidth differs).
ACCELERATORS = {"K80": "K80", "M60": "M60", "P100": "P100", "P100-SXM2-16GB": "P100", "P4": "P4",
                "V100": "V100", "V100-SXM2-16GB": "V100", "V100-SXM2-32GB": "V100", "V100-SXM3-32GB": "V100",
                "T4": "T4", "A10": "A10", "A30": "A30", "A40": "A40", "L4": "L4",
                "A100-40GB": "A100-40GB", "A100-SXM4-40GB": "A100-40GB", "A100-PCIE-40GB": "A100-40GB",
                "A100-80GB": "A100-80GB", "A100-SXM4-80GB": "A100-80GB", "A100-PCIE-80GB": "A100-80GB",
                "Xeon Platinum 8124M": "Xeon Skylake"}

PRECISIONS = {"fp32": "fp32", "tf32": "tf32", "fp16": "fp16", "amp": "fp16", "int8": "int8", "bf16": "bf16"}

# infercost's own backends -> the stacks the predictor knows (a study of yours joins the corpus through these)
STACK_OF_BACKEND = {"torch": "torch", "torch-compile": "torch", "onnxruntime": "onnxruntime", "openvino": "openvino",
                    "tensorrt": "tensorrt", "mxnet": "mxnet", "tensorflow": "tensorflow",
                    "tensorflow-xla": "tensorflow", "tflite": "tensorflow"}


@dataclass(frozen=True)
class Row:
    """One published measurement, as written, with where it came from."""

    line: int
    accelerator: str
    system: str
    stack: str
    model: str
    precision: str
    batch: str
    input: str
    metric: str
    value: float
    unit: str
    scenario: str
    source_url: str
    source_detail: str
    file: str = "infercost corpus"


@dataclass(frozen=True)
class Point:
    """A row the predictor can use: what ran, on what, and the seconds one batch took."""

    row: Row
    model: str  # the name infercost profiles
    chip: str  # the catalog accelerator
    stack: str  # torch, tensorflow, mxnet, caffe, tensorrt, onnxruntime, openvino
    precision: str  # fp32, tf32, fp16, bf16, int8
    batch: int
    height: int
    width: int
    seconds: float  # one batch
    cores: int | None = None  # physical cores, for a CPU
    seq: int | None = None  # a token model's sequence length

    @property
    def source(self) -> str:
        """The group a row's weight is shared in: one source's hundreds of rows must not outvote ten others."""
        return self.row.source_url.split("#")[0]


def _builtin_text() -> str:
    return resources.files("infercost.predict").joinpath("data", "published-measurements.csv").read_text("utf-8")


def load_rows(path: str | Path | None = None) -> list[Row]:
    """The shipped corpus, or a user's file with the same columns; each row validated, a bad one named by line."""
    where = str(path) if path else "infercost corpus"
    text = read_text(path, "published measurements file") if path else _builtin_text()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{where}:1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    rows = []
    try:
        for data in reader:
            rows.append(_row(data, reader.line_num, where))
    except csv.Error as exc:
        raise UsageError(f"{where}:{reader.line_num}: not CSV ({exc})") from None
    return rows


def _row(data: dict, line: int, where: str) -> Row:
    if None in data or None in data.values():
        raise UsageError(f"{where}:{line}: the row has {'more' if None in data else 'fewer'} fields than the header")
    for column in ("accelerator", "stack", "model", "metric", "value", "source_url"):
        if not data[column].strip():
            raise UsageError(f"{where}:{line}: {column} is empty")
    if data["metric"] not in METRICS:
        raise UsageError(f"{where}:{line}: metric {data['metric']!r} is none of {', '.join(METRICS)}")
    try:
        value = float(data["value"])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{where}:{line}: value {data['value']!r} is not a positive number")
    return Row(line, **{c: data[c].strip() for c in COLUMNS if c != "value"}, value=value, file=where)


def stack_of(text: str) -> str | None:
    """The runtime a row's stack names; TensorRT wherever it serves (Triton, ONNX Runtime's TensorRT provider)."""
    lowered = text.lower()
    if "triton" in lowered:
        return "triton"  # a server measured from its client: serialisation and transfer on every request
    if "tensorrt" in lowered or "tf-trt" in lowered:
        return "tensorrt"
    for name, key in (("onnxruntime", "onnx runtime"), ("openvino", "openvino"), ("mxnet", "mxnet"),
                      ("tensorflow", "tensorflow"), ("torch", "pytorch"), ("caffe", "caffe")):
        if key in lowered:
            return name
    return None


def _input_size(text: str) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)x(\d+)(?:\s|$|\s*\()", text + " ")
    return (int(match.group(2)), int(match.group(1))) if match else None


def _cores(system: str) -> int | None:
    match = re.search(r"(\d+)\s*vCPU", system)
    return int(match.group(1)) // 2 if match else None  # two hyperthreads a core on these Xeons


def usable(rows: list[Row]) -> tuple[list[Point], dict[str, int]]:
    """The points the predictor can use, and how many rows were left out for each reason."""
    skipped: dict[str, int] = {}
    points = []
    settings = {}
    for row in rows:
        reason, point = _point(row)
        if point is None:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        key = (row.source_url, row.accelerator, row.system, row.stack, point.model, point.precision, point.batch,
               row.input, row.scenario)
        settings.setdefault(key, []).append(point)
    for group in settings.values():
        best = min(group, key=lambda p: METRICS.index(p.row.metric))  # throughput, then mean, then percentiles
        points.append(best)
        skipped["another metric of the same setting used"] = skipped.get(
            "another metric of the same setting used", 0) + len(group) - 1
    return points, skipped


def _point(row: Row) -> tuple[str, Point | None]:
    if row.model not in MODELS:
        return f"model {row.model} not profiled", None
    if row.accelerator not in ACCELERATORS:
        return f"accelerator {row.accelerator} not in the catalog", None
    stack = stack_of(row.stack)
    if stack is None:
        return "stack not recognised", None
    precision = PRECISIONS.get(row.precision)
    if precision is None:
        return f"precision {row.precision}", None
    if "server" in row.scenario.lower() or row.batch == "server":
        return "MLPerf Server: latency under load", None
    size = _input_size(row.input)
    if size is None:
        return f"input {row.input}", None
    if row.batch == "offline":
        batch = OFFLINE_BATCH
    elif row.batch.isdigit() and int(row.batch) > 0:
        batch = int(row.batch)
    else:
        return "no batch stated", None
    chip = ACCELERATORS[row.accelerator]
    cores = _cores(row.system) if chip.startswith("Xeon") else None
    if chip.startswith("Xeon") and cores is None:
        return "CPU rows without a core count", None
    seconds = batch / row.value if row.metric == "throughput_per_s" else row.value / 1e3
    return "", Point(row, MODELS[row.model], chip, stack, precision, batch, size[0], size[1], seconds, cores)


def is_study(path: str | Path) -> bool:
    """Whether `--published` names an infercost results directory (or its results.jsonl) rather than a CSV."""
    path = Path(path)
    return path.is_dir() or path.name.endswith(".jsonl")


def study_points(path: str | Path, chips: dict) -> tuple[list[Point], dict[str, int]]:
    """A study's ok records as corpus points: on a CPU whose ISA flags name a catalog microarchitecture (with its
    cores), or a GPU the catalog names; the record's own model, stack, precision, batch, size and latency."""
    from infercost.probe import cpu_chip
    from infercost.results import load_records, machine_id

    points, skipped = [], {}
    for number, record in enumerate(load_records(path), 1):
        chip, cores = _chip_of(record, chips, cpu_chip)
        reason = ("not ok" if not record.ok or not record.latency_s else
                  "device not in the catalog" if chip is None else
                  "backend without a stack family" if record.backend not in STACK_OF_BACKEND else "")
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        source = f"study {path} machine {machine_id(record.env)}"
        row = Row(number, chip, record.env.get("cpu_model") or "", record.backend, record.model, record.precision,
                  str(record.batch_size), f"{record.width}x{record.height}", "latency_ms_mean", record.latency_s * 1e3,
                  "ms", "infercost study", source, record.case_id, str(path))
        points.append(Point(row, record.model, chip, STACK_OF_BACKEND[record.backend], record.precision,
                            record.batch_size, record.height, record.width, record.latency_s, cores))
    return points, skipped


def _chip_of(record, chips: dict, cpu_chip) -> tuple[str | None, int | None]:
    if record.device == "cpu":
        name = cpu_chip(record.env)
        return (name, int(record.env.get("cpu_cores") or 1)) if name in chips else (None, None)
    gpus = [g.get("name", "") for g in record.env.get("gpus") or []]
    index = int(record.device.partition(":")[2] or 0)
    label = gpus[index].upper() if index < len(gpus) else ""
    matches = [name for name, chip in chips.items() if chip.kind == "gpu"
               and all(token.upper() in label for token in name.split("-"))]
    return (max(matches, key=len), None) if matches else (None, None)
