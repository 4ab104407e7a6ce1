"""Published LLM measurements mapped to what infercost predicts (predict/data/published-llm.csv, from
shared/reference: MLPerf Inference v4.0-v5.1, AWS Neuron, TensorRT-LLM, LMDeploy, SGLang, vLLM, llama.cpp).

Domain layer (predict). Each row becomes a `Row` of a `Case` (a shipped shape, a catalog chip, a stack family, a
precision, a tensor-parallel degree, the replicas of the measured system and the scenario it was measured under), or
is counted as left out with its reason. The scenario decides how a case is predicted (commands/predict.py):

- static: a fixed batch with fixed prompt and output lengths (LMDeploy's profile_generation, the Neuron SDK's decoder
  tables, TGI's micro-benchmark): TTFT and TPOT from the step cost, throughput from both.
- single: one sequence (llama-bench pp/tg, single-stream decoding): a prefill's tokens a second, a decode's tokens a
  second (1 / TPOT).
- offline: every request at once, the batch the runtime's (MLPerf Offline, trtllm-bench at an infinite rate): the
  continuous-batching simulator at saturation.
- server: a Poisson stream tuned to the benchmark's latency constraint (MLPerf Server and Interactive): the
  throughput is the highest rate the simulator finds under that constraint, the latencies the simulator's at that
  rate.

Units are read from the `unit` column (MLPerf latencies are in ns, some in s), system throughput is divided over the
data-parallel replicas, and Neuron's tensor-parallel degree counts cores (two a chip).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

# Published model names -> the shipped shapes (a Llama 3 shape is Llama 3.1's; CodeLlama 13B is Llama 2 13B's, its
# vocabulary 16 tokens longer; Mistral 7B v0.2 is v0.3's without the larger vocabulary, v0.1's without the window).
MODELS = {"llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
          "Llama-2-7b": "llama-2-7b", "Llama-2-13b": "llama-2-13b", "Llama-2-70b": "llama-2-70b",
          "Llama-3-8B": "llama-3.1-8b", "Llama-3-70B": "llama-3.1-70b", "CodeLlama-13b-hf": "llama-2-13b",
          "Mistral-7B-Instruct-v0.2": "mistral-7b-v0.1",
          "llama2-70b-99": "llama-2-70b", "llama2-70b-99.9": "llama-2-70b", "mixtral-8x7b": "mixtral-8x7b",
          "Llama-3.1-8B-Instruct (nvidia/Llama-3.1-8B-Instruct-FP8)": "llama-3.1-8b",
          "Llama-3.3-70B-Instruct (nvidia/Llama-3.3-70B-Instruct-FP8)": "llama-3.3-70b-instruct",
          "Llama-3.3-70B-Instruct (nvidia/Llama-3.3-70B-Instruct-FP4)": "llama-3.3-70b-instruct",
          "Qwen3-235B-A22B (nvidia/Qwen3-235B-A22B-FP8)": "qwen3-235b-a22b",
          "Qwen3-30B-A3B (nvidia/Qwen3-30B-A3B-FP4)": "qwen3-30b-a3b"}
# MLPerf's datasets: the mean output length is the run's tokens over its samples; the mean prompt length is not in
# the reference, so it is taken equal to the output's where prompts and answers are alike (OpenOrca; Mixtral's mix of
# OpenOrca, GSM8K and MBXP), and the long-prompt datasets (Llama 3.1 405B's, Llama 3.1 8B's CNN/DailyMail) are left
# out for want of it.
MLPERF_PROMPT_AS_OUTPUT = ("llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b")
# MLPerf Inference's latency constraints (p99 TTFT, p99 TPOT in seconds) by model and scenario, from the rules
# (mlcommons/inference_policies, inference_rules.adoc, "LLM latency constraints").
MLPERF_CONSTRAINTS = {("llama-2-70b", "Server"): (2.0, 0.2), ("llama-2-70b", "Interactive"): (0.45, 0.04),
                      ("mixtral-8x7b", "Server"): (2.0, 0.2)}
# Published accelerator names -> catalog accelerators, and how the source counts tensor parallelism (Neuron: cores,
# two a chip).
ACCELERATORS = {"A100-80G": ("A100-80GB", 1), "A100 80G": ("A100-80GB", 1), "Trainium1": ("Trainium", 2),
                "Inferentia2": ("Inferentia2", 2), "Trainium2": ("Trainium2", 8),
                "NVIDIA H100-SXM-80GB": ("H100", 1), "H100 SXM 80GB": ("H100", 1), "H100 80G": ("H100", 1),
                "NVIDIA H200-SXM-141GB": ("H200", 1), "NVIDIA H200-SXM-141GB-CTS": ("H200", 1),
                "Virtualized NVIDIA H200-SXM-141GB": ("H200", 1), "H200 SXM 141GB": ("H200", 1),
                "NVIDIA B200-SXM-180GB": ("B200", 1), "B200 180GB": ("B200", 1), "NVIDIA GB200": ("GB200", 1),
                "NVIDIA GH200 Grace Hopper Superchip 96GB": ("GH200", 1),
                "NVIDIA GH200-GraceHopper-Superchip": ("GH200", 1), "NVIDIA H100-PCIe-80GB": ("H100-PCIe", 1),
                "AMD Instinct MI300X-NPS1-SPX-192GB-750W": ("MI300X", 1),
                "AMD MI300X-NPS1-SPX-192GB-750W": ("MI300X", 1),
                "AMD Instinct MI300X 192GB HBM3": ("MI300X", 1), "MI300X": ("MI300X", 1),
                "AMD Instinct MI325X 256GB HBM3e": ("MI325X", 1), "AMD Instinct MI325X 256GB HBM3E": ("MI325X", 1),
                "NVIDIA L40S": ("L40S", 1)}
STACKS = (("TensorRT", "tensorrt-llm"), ("vLLM", "vllm"), ("Mango", "vllm"), ("SGLang", "sglang"),
          ("LMDeploy", "lmdeploy"), ("Transformers", "neuron"), ("NxD", "neuron"), ("llama.cpp", "llama.cpp"),
          ("TGI", "tgi"))
# Metric names -> (what is predicted, the statistic): TTFT and TPOT in seconds, throughput in output tokens a second.
METRICS = {"ttft_ms_mean": ("ttft", "mean"), "ttft_ms_p50": ("ttft", "p50"), "ttft_ms_p99": ("ttft", "p99"),
           "tpot_ms_mean": ("tpot", "mean"), "tpot_ms_p99": ("tpot", "p99"), "itl_ms_mean": ("tpot", "mean"),
           "output_tokens_per_s": ("throughput", "mean"), "decode_tokens_per_s": ("tpot", "mean"),
           "prefill_tokens_per_s": ("ttft", "mean")}
SINGLE = ("llama-bench", "batch-1 generation", "single-stream decoding", "single-prompt generation")
STEP_TOKENS = 8192  # tokens one iteration may take at saturation (TensorRT-LLM's and vLLM's throughput settings)


@dataclass(frozen=True)
class Case:
    """One published run, mapped: what ran, where, how, and under which scenario. Its rows share it."""

    model: str  # a shipped shape (models/llm.py)
    accelerator: str  # the catalog's chip
    stack: str  # the serving stack's family: tensorrt-llm, vllm, sglang, lmdeploy, neuron, llama.cpp, tgi
    precision: str
    tp: int  # accelerators a replica spans
    replicas: int  # data-parallel replicas in the measured system
    scenario: str  # static | single | offline | server
    prompt: int
    output: int
    batch: int | None = None  # static and single
    rate: float | None = None  # server: the measured requests a second of the whole system
    constraint: tuple[float, float] | None = None  # server: p99 TTFT and TPOT, seconds
    spread: float = 0.0  # prompt and output lengths drawn uniformly within +-spread of their means (a dataset)
    padded_heads: bool = False  # Neuron pads the attention heads to a multiple of the tensor-parallel degree


@dataclass(frozen=True)
class Row:
    """One published number of a case, in seconds (TTFT, TPOT) or output tokens a second of the whole system."""

    case: Case
    metric: str  # ttft | tpot | throughput
    statistic: str  # mean | p50 | p99
    measured: float
    published_accelerator: str
    source: str


@dataclass(frozen=True)
class Checked:
    """One published row against its prediction."""

    accelerator: str
    model: str
    stack: str
    generation: str
    metric: str
    scenario: str
    measured: float
    predicted: float
    low: float
    high: float

    @property
    def log_ratio(self) -> float:
        return math.log(self.predicted / self.measured)

    @property
    def inside(self) -> bool:
        return self.low <= self.measured <= self.high


def published_rows() -> list[dict]:
    with resources.files("infercost.predict").joinpath("data", "published-llm.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def precision_of(text: str) -> str | None:
    lowered = text.lower()
    if "weight storage int8" in lowered or lowered.startswith("q8_0"):
        return "w8a16"
    if lowered.startswith(("fp8", "fp8-e4m3")):
        return "fp8"
    if lowered.startswith(("fp4", "nvfp4", "mxfp4")):
        return "fp4"
    if lowered.startswith(("q4_", "int4", "gptq", "uint4")):
        return "w4a16"
    if lowered.startswith("bf16"):
        return "bf16"
    if lowered.startswith(("fp16", "f16")) or "fp16" in lowered[:40]:
        return "fp16"
    return None


def measured_value(row: dict) -> float:
    """The row's number in seconds (latencies) or per second (rates), whatever unit it was printed in."""
    value = float(row["value"])
    unit = row["unit"].lower()
    if "_ms_" in row["metric"]:
        return value if unit.startswith("s") else value / 1e3 if unit.startswith("ms") else value / 1e9
    return value


def stack_of(text: str) -> str | None:
    return next((family for prefix, family in STACKS if text.startswith(prefix)), None)


def run_of(row: dict) -> str:
    return row["source_detail"].split(" :: ")[0] if "MLPerf" in row["scenario"] else row["source_url"]


def _scenario(row: dict) -> str | None:
    text = row["scenario"]
    if "MLPerf" in text:
        return "offline" if text.startswith("Offline") else "server" if text.startswith(("Server", "Interactive")) \
            else None
    if text.startswith(("static inference benchmark", "Application Type", "static batch micro-benchmark")):
        return "static"
    if text.startswith("offline max-throughput"):
        return "offline"
    if text.startswith(SINGLE):
        return "single"
    return None


def _tp_for(model_params: float, precision_bytes: float, memory_gib: float, count: int) -> int:
    """A replica's tensor-parallel degree where the source doesn't state it: the fewest accelerators of a node (a
    power of two) whose memory the weights fill to at most 60%, leaving the rest for the KV cache."""
    tp = 1
    while tp < min(count, 8) and model_params * precision_bytes / tp > 0.6 * memory_gib * 2**30:
        tp *= 2
    return tp


def cases(rows: list[dict], catalog) -> tuple[list[Row], dict[str, int]]:
    """Every row mapped to a Row of its Case, or counted as left out by its reason."""
    from infercost.layers import BYTES
    from infercost.models.llm import shipped

    shapes = shipped()
    found: list[Row] = []
    left: dict[str, int] = {}

    def leave(why: str) -> None:
        left[why] = left.get(why, 0) + 1

    runs: dict[str, dict[str, float]] = {}
    for row in rows:
        runs.setdefault(run_of(row), {})[row["metric"]] = float(row["value"])
    seen: set[tuple] = set()
    for row in rows:
        scenario = _scenario(row)
        metric = METRICS.get(row["metric"])
        if scenario is None:
            leave("scenario not predicted (online serving at a stated concurrency or rate, dataset lengths unstated)")
            continue
        if metric is None:
            leave(f"metric {row['metric']} (its run's output tokens/s, TTFT and TPOT are predicted)")
            continue
        if row["model"] not in MODELS:
            leave("model without a shipped shape")
            continue
        if row["accelerator"] not in ACCELERATORS:
            leave("accelerator not in the catalog (or a mixed system)")
            continue
        stack = stack_of(row["stack"])
        precision = precision_of(row["precision"])
        if stack is None or precision is None:
            leave("stack or precision not stated")
            continue
        chip, per_chip = ACCELERATORS[row["accelerator"]]
        accelerator = catalog.accelerators.get(chip)
        model = MODELS[row["model"]]
        shape = shapes[model][0]
        count = int(float(row["accelerator_count"] or 1))
        key = (row["system"], row["scenario"].split(" (")[0], row["metric"], row["value"], model)
        if key in seen:  # llama2-70b-99 and -99.9 are often the same run
            leave("the same run published under another accuracy target")
            continue
        seen.add(key)
        if row["tensor_parallel"]:
            tp = max(1, int(float(row["tensor_parallel"])) // per_chip)
        else:
            tp = _tp_for(shape.params, BYTES[precision], accelerator.memory_gib or 80, count)
        mean = runs[run_of(row)]
        batch, rate, constraint, spread = None, None, None, 0.0
        if "MLPerf" in row["scenario"]:
            if row["model"] not in MLPERF_PROMPT_AS_OUTPUT:
                leave("MLPerf dataset whose prompt lengths are not in the reference")
                continue
            if not mean.get("samples_per_s") or not mean.get("output_tokens_per_s"):
                leave("MLPerf run without both samples/s and tokens/s")
                continue
            output = round(mean["output_tokens_per_s"] / mean["samples_per_s"])
            prompt, spread = output, 0.9
            if scenario == "server":
                constraint = MLPERF_CONSTRAINTS.get((model, row["scenario"].split(" (")[0]))
                if constraint is None:
                    leave("MLPerf scenario without a constraint in the table")
                    continue
                rate = mean["samples_per_s"]
        else:
            prompt = int(float(row["input_len"] or 0)) or _prompt_in(row["scenario"])
            output = int(float(row["output_len"] or 0)) or _output_in(row["scenario"])
            if not prompt or (not output and metric[0] != "ttft"):
                leave("prompt or output length not stated")
                continue
            batch = 1 if scenario == "single" else _number(row["batch"])
            if scenario == "static" and batch is None:
                leave("static run without its batch")
                continue
        case = Case(model, chip, stack, precision, tp, max(1, count // tp), scenario, prompt, max(output, 2), batch,
                    rate, constraint, spread, padded_heads=stack == "neuron")
        measured = measured_value(row)
        if row["metric"] == "decode_tokens_per_s":
            measured = 1 / measured
        elif row["metric"] == "prefill_tokens_per_s":
            measured = prompt / measured
        found.append(Row(case, metric[0], metric[1], measured, row["accelerator"], row["source_url"]))
    return found, left


def _number(text: str) -> int | None:
    try:
        return int(float(text)) or None
    except ValueError:  # 'not stated (...)'
        return None


def _prompt_in(scenario: str) -> int:
    m = re.search(r"pp(\d+)|ISL=(\d+)", scenario)
    return int(m.group(1) or m.group(2)) if m else 0


def _output_in(scenario: str) -> int:
    m = re.search(r"tg(\d+)|of (\d+) tokens", scenario)
    return int(m.group(1) or m.group(2)) if m else 0


def summary(checked: list[Checked]) -> dict:
    errors = np.array([abs(math.exp(c.log_ratio) - 1) for c in checked])
    return {"points": len(checked), "median_error": float(np.median(errors)),
            "p90_error": float(np.percentile(errors, 90)),
            "bias": float(math.exp(np.median([c.log_ratio for c in checked]))),
            "band_coverage": float(np.mean([c.inside for c in checked]))}
