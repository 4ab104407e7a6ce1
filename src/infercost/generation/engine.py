"""Continuous batching for real: a request stream generated in process, scheduled at the iteration level by the very
rule serving/continuous.py simulates, each token timed as it comes.

Runtime layer (generation). Each iteration admits waiting requests in arrival order while their prompt fits the
token budget left in the step and their whole context (prompt + output) fits the KV-cache budget still free, as
the simulator does; prefills them together (left-padded to the longest admitted prompt, with an attention mask);
decodes one token for every request already running; then frees the cache of every request that has its output.
The running batch's KV cache is one tensor per layer, left-padded: a request joins by padding on the left and
leaves by dropping its row, so each decode step is one forward of the whole batch with per-row positions and an
attention mask, the way Hugging Face generates a left-padded batch. Greedy decoding, any Hugging Face causal model.

`profile` times the same prefill and decode forwards in isolation and fits the simulator's StepCost to them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from infercost.generation.measure import forward_options
from infercost.generation.schedule import Budget, StepCost, admit, fit_points, request_times


@dataclass
class _Running:
    """The running batch: per layer keys and values [rows, heads, T, dim], the mask [rows, T] (1 on real tokens),
    each row's request, its last token and how many tokens it has produced."""

    keys: list
    values: list
    mask: object
    last: object
    rows: list[int]
    produced: list[int]

    @property
    def size(self) -> int:
        return int(self.mask.shape[0])


def cache_of(keys: list, values: list):
    """A Hugging Face cache holding these keys and values, one tensor of each per layer."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for layer, (k, v) in enumerate(zip(keys, values, strict=True)):
        cache.update(k, v, layer)
    return cache


def cache_tensors(cache) -> tuple[list, list]:
    """A Hugging Face cache's keys and values, one tensor of each per layer."""
    if hasattr(cache, "layers"):
        return [layer.keys for layer in cache.layers], [layer.values for layer in cache.layers]
    return list(cache.key_cache), list(cache.value_cache)  # transformers before 4.56


def returned_cache(out):
    """The cache a forward returned (`cache` in newer transformers, else `past_key_values`)."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


class Engine:
    """A causal model serving a request stream with continuous batching, in this process."""

    def __init__(self, model, vocab: int, budget: Budget, clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep, seed: int = 0) -> None:
        import torch

        self.torch, self.model, self.vocab, self.budget = torch, model, vocab, budget
        self.clock, self.sleep = clock, sleep
        self.device = next(model.parameters()).device
        self.sync = torch.cuda.synchronize if self.device.type == "cuda" else (lambda: None)  # time finished work
        self.cache_arg, self.last_only = forward_options(model)
        self.generator = torch.Generator().manual_seed(seed)

    def prompt(self, length: int):
        return self.torch.randint(0, self.vocab, (length,), generator=self.generator)

    # The two forwards. Tests override them to charge a fake clock.

    def prefill(self, prompts: list) -> _Running:
        """Admitted prompts (1-D token tensors), left-padded into one forward; their first tokens."""
        torch = self.torch
        width = max(len(p) for p in prompts)
        ids = torch.zeros((len(prompts), width), dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, p in enumerate(prompts):
            ids[row, width - len(p):] = p
            mask[row, width - len(p):] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                             use_cache=True, **self.last_only, **{self.cache_arg: cache_of([], [])})
        keys, values = cache_tensors(returned_cache(out))
        last = out.logits[:, -1].argmax(-1, keepdim=True)
        return _Running(keys, values, mask, last, [], [1] * len(prompts))

    def decode(self, batch: _Running) -> None:
        """One token for every row of the running batch."""
        torch = self.torch
        mask = torch.cat([batch.mask, torch.ones_like(batch.mask[:, :1])], dim=1)
        positions = batch.mask.sum(-1, keepdim=True)
        with torch.inference_mode():
            out = self.model(input_ids=batch.last, attention_mask=mask, position_ids=positions,
                             use_cache=True, **{self.cache_arg: cache_of(batch.keys, batch.values)})
        batch.keys, batch.values = cache_tensors(returned_cache(out))
        batch.mask = mask
        batch.last = out.logits[:, -1].argmax(-1, keepdim=True)
        batch.produced = [n + 1 for n in batch.produced]

    # Joining and leaving the batch.

    def _pad_left(self, batch: _Running, width: int) -> _Running:
        torch = self.torch
        extra = width - batch.mask.shape[1]
        if extra == 0:
            return batch
        pad = lambda t: torch.nn.functional.pad(t, (0, 0, extra, 0))  # noqa: E731  (the sequence axis, dim 2)
        batch.keys = [pad(k) for k in batch.keys]
        batch.values = [pad(v) for v in batch.values]
        batch.mask = torch.nn.functional.pad(batch.mask, (extra, 0))
        return batch

    def _join(self, batch: _Running | None, new: _Running) -> _Running:
        if batch is None or batch.size == 0:
            return new
        torch = self.torch
        width = max(batch.mask.shape[1], new.mask.shape[1])
        a, b = self._pad_left(batch, width), self._pad_left(new, width)
        keys = [torch.cat(p) for p in zip(a.keys, b.keys, strict=True)]
        values = [torch.cat(p) for p in zip(a.values, b.values, strict=True)]
        return _Running(keys, values,
                        torch.cat([a.mask, b.mask]), torch.cat([a.last, b.last]), a.rows + b.rows,
                        a.produced + b.produced)

    def _keep(self, batch: _Running, rows: list[int]) -> _Running:
        """Only the given rows, and no column that is padding in all of them."""
        torch = self.torch
        index = torch.tensor(rows, dtype=torch.long, device=batch.mask.device)
        mask = batch.mask.index_select(0, index)
        start = int((mask.sum(0) > 0).nonzero()[0]) if mask.numel() else 0
        return _Running([k.index_select(0, index)[:, :, start:] for k in batch.keys],
                        [v.index_select(0, index)[:, :, start:] for v in batch.values], mask[:, start:],
                        batch.last.index_select(0, index), [batch.rows[r] for r in rows],
                        [batch.produced[r] for r in rows])

    def serve(self, arrivals: np.ndarray, prompts: np.ndarray, outputs: np.ndarray) -> dict:
        """Every request generated, arriving at its time (seconds from now); per request its TTFT, TPOT and
        end-to-end seconds, as simulate_continuous returns them; the tokens each generated; and per iteration its start
        and end (seconds from the start), the prompts it admitted and the batch it decoded."""
        count = len(arrivals)
        tokens = [self.prompt(int(p)) for p in prompts]
        first = np.full(count, np.nan)
        done = np.full(count, np.nan)
        waiting: deque[int] = deque()
        batch: _Running | None = None
        generated: list[list[int]] = [[] for _ in range(count)]
        kv_used, nxt, log = 0, 0, []
        start = self.clock()
        while nxt < count or waiting or (batch is not None and batch.size):
            running = batch.size if batch is not None else 0
            if not waiting and not running:
                self.sleep(max(0.0, start + float(arrivals[nxt]) - self.clock()))
            now = self.clock() - start
            while nxt < count and arrivals[nxt] <= now:
                waiting.append(nxt)
                nxt += 1
            admitted, kv_used = admit(waiting, prompts, outputs, kv_used=kv_used, running=running, budget=self.budget)
            new = None
            context = int(batch.mask.sum()) + running if running else 0  # each row's cache and the token it feeds
            began = self.clock() - start
            if admitted:
                new = self.prefill([tokens[i] for i in admitted])
                new.rows = admitted
            if running:
                self.decode(batch)
            self.sync()
            ended = self.clock() - start
            log.append({"start": began, "end": ended, "prompts": [int(prompts[i]) for i in admitted],
                        "decoded": running, "context": context})
            for i in admitted:
                first[i] = ended
            if new is not None:
                batch = self._join(batch, new)
            for i, token in zip(batch.rows, batch.last[:, 0].tolist(), strict=True):
                generated[i].append(token)
            finished = [r for r, (i, n) in enumerate(zip(batch.rows, batch.produced, strict=True)) if n >= outputs[i]]
            if finished:
                for r in finished:
                    i = batch.rows[r]
                    done[i] = ended
                    kv_used -= int(prompts[i] + outputs[i])
                batch = self._keep(batch, [r for r in range(batch.size) if r not in set(finished)])
        return {**request_times(arrivals, first, done, outputs=outputs), "iterations": log, "tokens": generated}

    def profile(self, prompt_lens: list[int], batches: list[int], contexts: list[int], repeats: int = 8,
                label: str = "", prefill_batches: tuple[int, ...] = (1,)) -> StepCost:
        """The step cost of these forwards: the mean prefill of `prefill_batches` prompts admitted together at each
        length and the mean decode step of each batch at each mean context (its rows of lengths spread about it,
        padded as a running batch is), fitted as the simulator's StepCost. Means, not medians: a TPOT is a mean
        over steps, so a step's occasional slow run counts in it (the first run of each is left out, as a
        warm-up)."""
        prefill, decode = [], []
        for count in prefill_batches:
            for length in prompt_lens:
                times = []
                for _ in range(repeats + 1):
                    t0 = self.clock()
                    self.prefill([self.prompt(length) for _ in range(count)])
                    self.sync()
                    times.append(self.clock() - t0)
                prefill.append((count, length, float(np.mean(times[1:]))))
        for size in batches:
            for context in contexts:
                # Rows of lengths spread about the context, joined one by one: padded, as a running batch is.
                lengths = np.linspace(context * 0.5, context * 1.5, size).round().astype(int) if size > 1 else [context]
                batch = None
                for length in lengths:
                    batch = self._join(batch, self.prefill([self.prompt(max(1, int(length)))]))
                keys, values, mask = batch.keys, batch.values, batch.mask
                times = []
                for _ in range(repeats + 1):
                    batch.keys, batch.values, batch.mask = keys, values, mask
                    t0 = self.clock()
                    self.decode(batch)
                    self.sync()
                    times.append(self.clock() - t0)
                decode.append((size, float(mask.sum()) / size + 1, float(np.mean(times[1:]))))
        self.profiled = {"prefill": prefill, "decode": decode}  # the timed points, for a look
        return fit_points(prefill, decode, label or "profiled in process")
