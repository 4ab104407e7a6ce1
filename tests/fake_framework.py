"""A stand-in framework for the foreign worker's tests: numpy only, a fixed 'model' (a mean over pixels)."""

from __future__ import annotations

import numpy as np


def versions() -> dict:
    return {"fakeframework": "0.1"}


class Stack:
    def __init__(self, case, input_path: str) -> None:
        self.x = np.load(input_path)
        self.describe = {"backend": case.backend, "params": 0}
        self.synced = 0

    def run(self):
        return self.x.mean(axis=(2, 3))

    def sync(self) -> None:
        self.synced += 1

    def first_output(self):
        return self.run()[:1]


def build(case, input_path: str) -> Stack:
    if case.precision == "int8":
        from infercost.foreign import Unsupported

        raise Unsupported("the fake framework has no int8")
    return Stack(case, input_path)
