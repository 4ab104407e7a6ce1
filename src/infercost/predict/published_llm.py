"""Generation predictions checked against published LLM measurements (predict/data/published-llm.csv, from
shared/reference: MLPerf, AWS Neuron, TensorRT-LLM, LMDeploy, SGLang, vLLM, llama.cpp).

Domain layer (predict). Each row is mapped to a shape (models/llm.py), a catalog chip, a precision, a tensor-parallel
degree and a scenario, or counted as left out with its reason. Only rows whose scenario the static prediction
describes are predicted here: a fixed batch with fixed prompt and output lengths (LMDeploy's profile_generation, the
Neuron SDK's decoder tables), their output tokens a second and first-token latency. Offline and Server rows (MLPerf,
TensorRT-LLM's maximum-throughput tables) need the continuous-batching simulator at the runtime's own batch, and
are left out here with that reason. Nothing is fitted to these rows yet: the errors are of the uncalibrated
prediction, every row is held out. The predictions themselves are made by commands/predict.validate_generation.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

# Published model names -> the shipped shapes (a Llama 3 shape is Llama 3.1's; CodeLlama 13B is Llama 2 13B's, its
# vocabulary 16 tokens longer; Mistral 7B v0.2 is v0.3's without the larger vocabulary, v0.1's without the window).
MODELS = {"llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
          "Llama-2-7b": "llama-2-7b", "Llama-2-13b": "llama-2-13b", "Llama-2-70b": "llama-2-70b",
          "Llama-3-8B": "llama-3.1-8b", "Llama-3-70B": "llama-3.1-70b", "CodeLlama-13b-hf": "llama-2-13b",
          "Mistral-7B-Instruct-v0.2": "mistral-7b-v0.1"}
# Published accelerator names -> catalog accelerators, and how the source counts tensor parallelism (Neuron: cores,
# two a chip).
ACCELERATORS = {"A100-80G": ("A100-80GB", 1), "Trainium1": ("Trainium", 2), "Inferentia2": ("Inferentia2", 2)}
STATIC = ("static inference benchmark", "Application Type")
METRICS = ("output_tokens_per_s", "ttft_ms_mean")


@dataclass(frozen=True)
class Checked:
    """One published row against its prediction."""

    accelerator: str
    model: str
    stack: str
    metric: str
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


def precision_of(text: str) -> str:
    lowered = text.lower()
    if "weight storage int8" in lowered:
        return "w8a16"
    return "bf16" if "bf16" in lowered else "fp16"


def measured_value(row: dict) -> float:
    value = float(row["value"])
    unit = row["unit"].lower()
    if row["metric"].endswith("_ms_mean"):
        return value if unit.startswith("s") else value / 1e3 if unit.startswith("ms") else value / 1e9
    return value


def stack_of(row: dict) -> str:
    return row["stack"].split(" (")[0]


def summary(checked: list[Checked]) -> dict:
    errors = np.array([abs(math.exp(c.log_ratio) - 1) for c in checked])
    return {"points": len(checked), "median_error": float(np.median(errors)),
            "p90_error": float(np.percentile(errors, 90)),
            "bias": float(math.exp(np.median([c.log_ratio for c in checked]))),
            "band_coverage": float(np.mean([c.inside for c in checked]))}
