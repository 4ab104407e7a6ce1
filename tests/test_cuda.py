"""CUDA paths: skipped without a GPU (benchmarks/gpu_check.py exercises them on a GPU machine)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")

from infercost.case import Case  # noqa: E402
from infercost.runner import Runner, RunOptions  # noqa: E402


def test_cuda_fp16_case(fast_timer):
    record = Runner(RunOptions(fast_timer, isolate=False)).run(
        Case("edsr", device="cuda", precision="fp16", height=32, width=32))
    assert record.status == "ok" and record.peak_memory_bytes > 0 and record.accuracy_ok


def test_cuda_memory_cap_gives_oom(fast_timer):
    record = Runner(RunOptions(fast_timer, memory_limit_bytes=64 << 20)).run(
        Case("vgg19", device="cuda", batch_size=64))
    assert record.status == "oom"


def test_cuda_probe():
    from infercost.probe import run_probe

    assert run_probe("cuda", ("fp16",))["peak_flops_per_s"]["fp16"] > 1e12


def test_cuda_generation_is_timed_with_the_device_synchronised():
    from infercost.grid import Grid
    from infercost.runner import Runner, RunOptions
    from infercost.timing import TimerConfig

    case = Grid(("gpt2",), devices=("cuda",), precisions=("fp16",), dims=("seq=32",), output_lens=(8,)).cases()[0]
    record = Runner(RunOptions(TimerConfig(min_time_s=0.1, max_time_s=1.0))).run(case)
    assert record.status == "ok", record.error
    assert 0 < record.generation["ttft_s"] <= record.generation["e2e_s"]
    assert record.peak_memory_bytes > record.generation["kv_cache_bytes"]
