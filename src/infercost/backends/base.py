"""The small backend interface: load / run / sync / close, plus what a backend can do on this machine.

Runtime layer (backends).
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from importlib import metadata
from typing import Any, ClassVar

from infercost.case import Case
from infercost.errors import OutOfMemoryError
from infercost.models.zoo import ModelSpec
from infercost.oom import looks_like_oom


class Backend(ABC):
    """One runtime. Frameworks are imported lazily, inside the methods, never at module import."""

    name: ClassVar[str]
    packages: ClassVar[tuple[str, ...]] = ()  # import names that must be present
    extra: ClassVar[str | None] = None  # the pip extra that installs them
    distributions: ClassVar[tuple[str, ...]] = ()  # pip names whose version is the backend's (default: packages)
    precisions: ClassVar[tuple[str, ...]] = ("fp32",)

    def __init__(self, case: Case, spec: ModelSpec, memory_limit_bytes: int | None = None) -> None:
        self.case = case
        self.spec = spec
        self.memory_limit_bytes = memory_limit_bytes
        # What actually ran, as the runtime reports it (e.g. OpenVINO's inference precision); goes in the record.
        self.stack: dict[str, Any] = {"backend": self.name}

    # What this backend can do here --------------------------------------------------------------------------
    @classmethod
    def unavailable_reason(cls) -> str | None:
        """None when usable here, else why not and how to fix it; must not import the framework."""
        missing = [p for p in cls.packages if importlib.util.find_spec(p) is None]
        if missing:
            how = f'pip install "infercost[{cls.extra}]"' if cls.extra else f"pip install {' '.join(missing)}"
            return f"{', '.join(missing)} not installed: {how}"
        return None

    @classmethod
    def version(cls) -> str | None:
        for dist in cls.distributions or cls.packages:
            try:
                return metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return None

    @classmethod
    def devices(cls) -> list[str]:
        return ["cpu"]

    # The lifecycle of one case ------------------------------------------------------------------------------
    @abstractmethod
    def load(self) -> None:
        """Build or convert the model for the case; raise UnsupportedError when it can't run here."""

    @abstractmethod
    def make_input(self, seed: int = 0) -> Any:
        """The input for one call, already on the device, made from the same seeded tensor for every backend."""

    @abstractmethod
    def run(self, inputs: Any) -> Any:
        """One inference call (may return before the device finishes; sync() waits)."""

    def sync(self) -> None:
        return None

    @abstractmethod
    def to_numpy(self, output: Any) -> Any:
        """The output as a float32 numpy array, for the output check."""

    def peak_memory_bytes(self) -> int | None:
        """Device memory peak for accelerators; None lets the worker use the process's peak resident memory."""
        return None

    def close(self) -> None:
        return None

    @staticmethod
    def reraise(exc: BaseException, what: str) -> None:
        """Map a runtime's exception into the project's tree at the boundary."""
        from infercost.errors import BackendError

        if looks_like_oom(exc):
            raise OutOfMemoryError(f"{what}: {first_line(exc)}") from exc
        raise BackendError(f"{what}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
