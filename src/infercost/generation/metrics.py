"""Generation metrics from the times each token arrived, as vLLM's `bench serve` and NVIDIA's AIPerf define them.

Core of the generation package: plain arithmetic on a run's token times, tested with a fake clock.

- TTFT (time to first token): from the request's start to its first output token (the prefill and one sample).
- TPOT (time per output token): the mean time per output token after the first, (end-to-end - TTFT) / (output - 1).
- ITL (inter-token latency): each gap between consecutive output tokens; its p50 and p99 over every gap of every run.
- End-to-end: from the start to the last output token.
- Output tokens per second: batch x output tokens / end-to-end.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from infercost.timing.stats import percentile


def generation_metrics(runs: Sequence[Sequence[float]], batch: int) -> dict:
    """Each run's token arrival times (seconds from its start, one per output token; a batch's sequences advance
    together) summarised: medians over runs of TTFT, TPOT and end-to-end, ITL percentiles over all gaps."""
    if not runs or any(len(run) == 0 for run in runs):
        raise ValueError("every run needs at least one token time")
    output = len(runs[0])
    ttfts = [run[0] for run in runs]
    e2es = [run[-1] for run in runs]
    gaps = sorted(b - a for run in runs for a, b in zip(run, run[1:], strict=False))
    tpots = [(run[-1] - run[0]) / (len(run) - 1) for run in runs if len(run) > 1]
    e2e = statistics.median(e2es)
    return {
        "output_tokens": output,
        "ttft_s": statistics.median(ttfts),
        "tpot_s": statistics.median(tpots) if tpots else None,
        "itl_p50_s": percentile(gaps, 50) if gaps else None,
        "itl_p99_s": percentile(gaps, 99) if gaps else None,
        "e2e_s": e2e,
        "output_tokens_per_s": batch * output / e2e if e2e > 0 else None,
        "runs": len(runs),
        "ttft_samples_s": ttfts,
        "tpot_samples_s": tpots,
    }
