"""A frozen Case: exactly what one measured point is (model, backend, device, precision, batch, resolution).

Core layer (case).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace

from infercost.errors import UsageError
from infercost.limits import DIM, SIDE

PRECISIONS = ("fp32", "fp16", "bf16", "int8")


@dataclass(frozen=True)
class Case:
    model: str
    backend: str = "torch"
    device: str = "cpu"
    precision: str = "fp32"
    batch_size: int = 1
    height: int = 224
    width: int = 224
    channels_last: bool = False
    # Free-form options for the model or backend (e.g. {"scale": 3} for EDSR); part of the case id.
    options: tuple[tuple[str, object], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {self.batch_size}")
        if self.height < 1 or self.width < 1:
            raise UsageError(f"resolution must be positive, got {self.height}x{self.width}")
        if self.precision not in PRECISIONS and self.precision != "auto":
            raise UsageError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")

    @property
    def case_id(self) -> str:
        """A stable id: the same case gives the same id on any machine and in any run."""
        payload = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def megapixels(self) -> float:
        return self.height * self.width / 1e6

    @property
    def label(self) -> str:
        """How progress lines name the case: model, stack, batch and size."""
        size = f"seq {self.seq_len(0)}" if self.seq_len(0) else f"{self.width}x{self.height}"
        return f"{self.model} {self.backend} {self.device} {self.precision} b{self.batch_size} {size}"

    @property
    def model_options(self) -> dict:
        """The options that build the model (the dimension bindings are the input's, not the model's)."""
        return {k: v for k, v in self.options if k != "dims"}

    @property
    def dims(self) -> dict[str, int]:
        """Named input dimensions bound for this point (--dim, --seq-len)."""
        return parse_dims(self.option("dims"))

    def seq_len(self, default: int) -> int:
        """The sequence length a token model runs at: the bound seq / sequence / sequence_length, else `default`."""
        dims = self.dims
        return next((dims[name] for name in SEQ_NAMES if name in dims), default)

    def option(self, name: str, default: object = None) -> object:
        return dict(self.options).get(name, default)

    def with_(self, **changes: object) -> Case:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["options"] = dict(self.options)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Case:
        data = dict(data)
        data["options"] = tuple(sorted(dict(data.get("options") or {}).items()))
        return cls(**data)


def parse_resolution(text: str) -> tuple[int, int]:
    """'224' -> (224, 224); '512x384' -> (384, 512), width x height as images are usually named."""
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(re.fullmatch(r"\s*[0-9]+\s*", part) for part in parts):
        raise UsageError(f"resolution {text!r} does not parse; use 224 or 512x384 (width x height)")
    width, height = (SIDE.check(f"resolution {text!r}", part) for part in (parts * 2)[:2])
    return height, width


def validate_device(device: str) -> None:
    """Bad device names are usage errors; a known device that is absent here is too."""
    kind, _, index = device.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and (kind != "cuda" or not re.fullmatch("[0-9]{1,4}", index))):
        raise UsageError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps")


BATCH_NAMES = ("batch", "n", "batch_size")
SEQ_NAMES = ("seq", "sequence", "sequence_length", "seq_len")


def parse_dims(text: str | None) -> dict[str, int]:
    """'seq=128,heads=12' -> {'seq': 128, 'heads': 12}: values for an ONNX file's named dynamic dimensions."""
    dims = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = (p.strip() for p in part.partition("="))
        if not sep or not name:
            raise UsageError(f"dimension {part!r} does not parse; use NAME=VALUE, e.g. seq=128")
        dims[name] = DIM.check(f"dimension {name}", value)
    return dims
