"""A model's inputs as data: for each input its name, element type and a shape of ints and symbolic dimensions.

Core layer (inputs). The symbolic names a case fills on its own are `batch`, `height`, `width` and `seq`; any other
name (an ONNX file's own) is bound with --dim NAME=VALUE. Conventional spellings map by themselves: batch, N and
batch_size take the batch size; seq, sequence, sequence_length and seq_len take the sequence length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infercost.errors import UsageError

BATCH_NAMES = ("batch", "n", "batch_size")
SEQ_NAMES = ("seq", "sequence", "sequence_length", "seq_len")
TOKEN_DTYPE = "int64"


@dataclass(frozen=True)
class Input:
    """One input: `shape` holds ints (fixed) and names (dynamic: 'batch', 'seq', a file's own '?' or 'heads')."""

    name: str
    dtype: str
    shape: tuple[int | str, ...]

    @property
    def image(self) -> bool:
        """An NCHW float image (its third and fourth dimensions are the height and width)."""
        return len(self.shape) == 4 and self.dtype.startswith(("float", "bfloat"))

    @property
    def dynamic(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.shape if not (isinstance(d, int) and d > 0))

    def bind(self, batch: int, height: int | None, width: int | None, dims: Mapping[str, int]) -> tuple[int, ...]:
        """The shape with every dynamic dimension filled: a named one from `dims` (a conventional sequence name from
        any sequence binding); batch, N or batch_size, or the first, from the batch; an image's third and fourth from
        the height and width. A dimension nothing fills is an error that says how to bind it."""
        shape = list(self.shape)
        for index, dim in enumerate(shape):
            if isinstance(dim, int) and dim > 0:
                if self.image and index in (2, 3) and height and dim != (height, width)[index - 2]:
                    raise UsageError(f"input {self.name!r} is fixed at {shape[3]}x{shape[2]}; "
                                     f"the resolution {width}x{height} does not fit it")
                continue
            name = str(dim)
            value = lookup(name, dims)
            if value is not None:
                shape[index] = value
            elif index == 0 or name.lower() in BATCH_NAMES:
                shape[index] = batch
            elif self.image and index in (2, 3) and height:
                shape[index] = (height, width)[index - 2]
            else:
                raise UsageError(f"input {self.name!r} has a dynamic dimension {dim!r} at position {index}: bind it "
                                 f"with --dim {name}=VALUE" + (" or --seq-len" if name.lower() in SEQ_NAMES else ""))
        return tuple(shape)

    def to_dict(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Input:
        return cls(str(data["name"]), str(data["dtype"]), tuple(data["shape"]))


def lookup(name: str, dims: Mapping[str, int]) -> int | None:
    """The value bound to a dimension: its own name, or for a conventional sequence name any sequence binding."""
    if name in dims:
        return dims[name]
    if name.lower() in SEQ_NAMES:
        return next((dims[n] for n in dims if n.lower() in SEQ_NAMES), None)
    return None


def image_input(channels: int | str = "channels") -> Input:
    """What an image model takes: one float batch of NCHW images."""
    return Input("input", "float32", ("batch", channels, "height", "width"))


def token_inputs(names: tuple[str, ...]) -> tuple[Input, ...]:
    """What a token model takes: integer (batch, seq) tensors by name (ids, and the mask and type ids it accepts)."""
    return tuple(Input(name, TOKEN_DTYPE, ("batch", "seq")) for name in names)


def describe(inputs: tuple[Input, ...]) -> str:
    """'input_ids int64[batch, seq], attention_mask int64[batch, seq]'."""
    return ", ".join(f"{i.name} {i.dtype}[{', '.join(map(str, i.shape))}]" for i in inputs)
