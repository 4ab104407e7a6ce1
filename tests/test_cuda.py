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


def test_cuda_continuous_batching_gives_each_request_the_tokens_it_gets_alone():
    import numpy as np
    import transformers

    from infercost.generation.engine import Engine
    from infercost.serving.continuous import Budget

    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=97, n_positions=128)
    model = transformers.GPT2LMHeadModel(config).eval().to("cuda")
    prompts, outputs = np.array([5, 11, 3]), np.array([6, 3, 9])
    batched = Engine(model, 97, Budget(10_000)).serve(np.zeros(3), prompts, outputs)
    for i in range(3):  # each alone, with the same prompt draws
        engine = Engine(model, 97, Budget(10_000))
        for j in range(i):
            engine.prompt(int(prompts[j]))
        alone = engine.serve(np.zeros(1), prompts[i:i + 1], outputs[i:i + 1])
        assert alone["tokens"][0] == batched["tokens"][i]
