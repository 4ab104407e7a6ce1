"""PyTorch eager on cpu, cuda[:N] and mps, in fp32, fp16 or bf16, optionally channels_last.

Runtime layer (backends).
"""

from __future__ import annotations

from typing import Any

from infercost.backends.base import Backend
from infercost.errors import UnsupportedError

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


class TorchBackend(Backend):
    name = "torch"
    packages = ("torch",)
    precisions = ("fp32", "fp16", "bf16")

    @classmethod
    def devices(cls) -> list[str]:
        import torch

        found = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            found.append("mps")
        return found

    def _device(self) -> Any:
        import torch

        kind = self.case.device.partition(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            raise UnsupportedError("CUDA is not available on this machine")
        if kind == "mps" and not (torch.backends.mps.is_available()):
            raise UnsupportedError("MPS is not available on this machine")
        return torch.device(self.case.device)

    def load(self) -> None:
        import torch

        if self.case.precision not in DTYPES:
            raise UnsupportedError(f"torch eager has no {self.case.precision} path; use onnxruntime or openvino")
        self.device = self._device()
        self.dtype = getattr(torch, DTYPES[self.case.precision])
        self.memory_format = torch.channels_last if self.case.channels_last else torch.contiguous_format
        if self.memory_limit_bytes and self.device.type == "cuda":
            self._cap_cuda_memory(self.memory_limit_bytes)
        try:
            model = self.spec.create(**self.case.model_options)
            self.model = model.to(device=self.device, dtype=self.dtype, memory_format=self.memory_format)
        except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
            self.reraise(exc, "loading the model")
        self.stack.update(device=str(self.device), dtype=str(self.dtype).removeprefix("torch."),
                          channels_last=self.case.channels_last, torch=torch.__version__)

    def make_input(self, seed: int = 0) -> Any:
        case = self.case
        if self.spec.tokens:  # token ids stay integers whatever the precision
            return self.spec.example_input(case.batch_size, case.height, case.width, device=self.device, seed=seed,
                                           seq=case.seq_len(self.spec.default_seq))
        x = self.spec.example_input(case.batch_size, case.height, case.width, seed=seed)
        return x.to(device=self.device, dtype=self.dtype, memory_format=self.memory_format)

    def run(self, inputs: Any) -> Any:
        import torch

        with torch.inference_mode():
            return self.model(**inputs) if isinstance(inputs, dict) else self.model(inputs)

    def sync(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()

    def to_numpy(self, output: Any) -> Any:
        tensor = output[0] if isinstance(output, (tuple, list)) else output
        if isinstance(tensor, dict):
            tensor = next(iter(tensor.values()))
        return tensor.detach().float().cpu().numpy()

    def peak_memory_bytes(self) -> int | None:
        import torch

        if self.device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.device))
        return None

    def _cap_cuda_memory(self, limit_bytes: int) -> None:
        """On CUDA the cap is on the caching allocator, so a smaller card can be emulated."""
        import torch

        index = self.device.index if self.device.index is not None else torch.cuda.current_device()
        total = torch.cuda.get_device_properties(index).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, limit_bytes / total), index)  # wants an index
        torch.cuda.reset_peak_memory_stats(index)
