"""torch.compile (inductor): the compile happens in load(), timed on its own, so timed calls are compiled ones.

Runtime layer (backends).
"""

from __future__ import annotations

import time

from infercost.backends.torch_eager import TorchBackend


class TorchCompileBackend(TorchBackend):
    name = "torch-compile"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = super().unavailable_reason()
        if reason:
            return reason
        import shutil

        if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")):
            return "inductor needs a C/C++ compiler on the PATH (apt-get install build-essential)"
        return None

    def load(self) -> None:
        import torch

        super().load()
        mode = str(self.case.option("compile_mode", "default"))
        self.model = torch.compile(self.model, backend="inductor", mode=None if mode == "default" else mode,
                                   dynamic=False)
        example = self.make_input()
        start = time.perf_counter()
        try:
            self.run(example)
            self.sync()
        except Exception as exc:  # noqa: BLE001 - mapped into the project's tree
            self.reraise(exc, "torch.compile")
        self.stack.update(compiler="inductor", compile_mode=mode, compile_s=time.perf_counter() - start)
