"""How fast a language model is predicted from its shape alone: each command in a fresh process, its wall time and
peak memory (the child's maximum resident set), side by side.

    python benchmarks/llm_predict_time.py

Goals (issue 28): a prediction for Llama-3.1-405B on an 8-GPU instance in under 2 s with under 1 GiB from a cold
process, and a directory holding only a 7B model's config.json likewise. Nothing is built: the shape is counted from
the config's numbers (models/llm.py), and torch is not imported on this path.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG_7B = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
             "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
             "vocab_size": 128256}


def run(args: list[str]) -> tuple[float, float, int]:
    """Seconds, peak MiB of the child, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    code = subprocess.run([sys.executable, "-m", "infercost", *args], capture_output=True).returncode
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, code


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="infercost-7b-config-"))
    (directory / "config.json").write_text(json.dumps(CONFIG_7B))
    cases = {
        "llama-3.1-405b on p5.48xlarge": ["predict", "llama-3.1-405b", "--instance", "p5.48xlarge", "--precision",
                                          "bf16", "--prompt-len", "1024", "--output-len", "256", "--batch", "16"],
        "a 7B config.json alone on an L4": ["predict", f"hf:{directory}", "--accelerator", "L4", "--prompt-len",
                                            "512", "--output-len", "128"],
        "deepseek-v3 (MoE, latent attention)": ["predict", "deepseek-v3", "--instance", "p5.48xlarge",
                                                "--precision", "bf16", "--prompt-len", "1024", "--output-len", "256"],
    }
    for name, args in cases.items():
        seconds, mib, code = run(args)
        print(f"{name:40} {seconds:5.2f} s  peak {mib:6.0f} MiB  (exit {code})")


if __name__ == "__main__":
    main()
