"""A frozen Case: exactly what one measured point is (model, backend, device, precision, batch, and its input: an
image resolution, or a token model's inputs and sequence length).

Core layer (case).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace

from infercost.errors import UsageError
from infercost.inputs import BATCH_NAMES, SEQ_NAMES, Input, describe, lookup
from infercost.limits import DIM, SIDE

__all__ = ["BATCH_NAMES", "PRECISIONS", "SEQ_NAMES", "Case", "parse_dims", "parse_resolution", "validate_device"]

PRECISIONS = ("fp32", "fp16", "bf16", "int8")


@dataclass(frozen=True)
class Case:
    model: str
    backend: str = "torch"
    device: str = "cpu"
    precision: str = "fp32"
    batch_size: int = 1
    # An image's size; None for a model that takes no image (a token model: its sequence length is a dim binding).
    height: int | None = 224
    width: int | None = 224
    channels_last: bool = False
    # Free-form options for the model or backend (e.g. {"scale": 3} for EDSR); part of the case id. The input's
    # named dimensions are bound by the option "dims" ("seq=128", an ONNX file's "heads=12").
    options: tuple[tuple[str, object], ...] = field(default_factory=tuple)
    # The inputs, with symbolic shapes; empty for the usual single image batch (so image cases keep their ids).
    inputs: tuple[Input, ...] = ()

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise UsageError(f"batch size must be at least 1, got {self.batch_size}")
        if (self.height is None) != (self.width is None):
            raise UsageError("give both a height and a width, or neither")
        if self.height is not None and (self.height < 1 or self.width < 1):
            raise UsageError(f"resolution must be positive, got {self.height}x{self.width}")
        if self.height is None and not self.inputs:
            raise UsageError("a case without an image size must name its inputs")
        if self.precision not in PRECISIONS and self.precision != "auto":
            raise UsageError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")

    @property
    def case_id(self) -> str:
        """A stable id: the same case gives the same id on any machine and in any run."""
        payload = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def megapixels(self) -> float:
        """An image's megapixels; 0 for a model that takes no image."""
        return self.height * self.width / 1e6 if self.height else 0.0

    @property
    def output_len(self) -> int | None:
        """Tokens to generate: set for a generation case (its prompt is the sequence length), else None."""
        value = self.option("output_len")
        return int(value) if value else None

    @property
    def size_label(self) -> str:
        """The point's size as people name it: 'seq 128' for tokens, 'prompt 128 + 32 out' for generation, '224x224'
        (width x height) for an image."""
        seq = self.seq_len(0)
        if seq and self.output_len:
            return f"prompt {seq} + {self.output_len} out"
        if seq:
            return f"seq {seq}"
        return f"{self.width}x{self.height}" if self.height else (self.option("dims") or "its fixed size")

    @property
    def label(self) -> str:
        """How progress lines name the case: model, stack, batch and size."""
        return f"{self.model} {self.backend} {self.device} {self.precision} b{self.batch_size} {self.size_label}"

    @property
    def input_spec(self) -> str:
        """The inputs in words: 'input_ids int64[batch, seq], ...' (an image model's NCHW batch when not named)."""
        return describe(self.inputs) if self.inputs else "input float32[batch, channels, height, width]"

    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each named input's shape at this point (every symbolic dimension bound)."""
        return {i.name: i.bind(self.batch_size, self.height, self.width, self.dims) for i in self.inputs}

    @property
    def model_options(self) -> dict:
        """The options that build the model (the dimension bindings are the input's, not the model's)."""
        return {k: v for k, v in self.options if k not in ("dims", "output_len", "cache")}

    @property
    def dims(self) -> dict[str, int]:
        """Named input dimensions bound for this point (--dim, --seq-len)."""
        return parse_dims(self.option("dims"))

    def seq_len(self, default: int) -> int:
        """The sequence length a token model runs at: the bound seq / sequence / sequence_length, else `default`."""
        found = lookup("seq", self.dims)
        return default if found is None else found

    def option(self, name: str, default: object = None) -> object:
        return dict(self.options).get(name, default)

    def with_(self, **changes: object) -> Case:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The fields, for records and the case id: an image case's as they always were (no inputs, since its one
        input is implied); a token case's with its inputs and without an image size."""
        data = asdict(self)
        data["options"] = dict(self.options)
        data["inputs"] = [i.to_dict() for i in self.inputs]
        for key in ("inputs", "height", "width"):
            if not data[key]:
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Case:
        data = dict(data)
        data["options"] = tuple(sorted(dict(data.get("options") or {}).items()))
        data["inputs"] = tuple(Input.from_dict(i) for i in data.get("inputs") or ())
        if data["inputs"]:  # a case that names its inputs has an image size only if it says so
            data.setdefault("height", None)
            data.setdefault("width", None)
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
