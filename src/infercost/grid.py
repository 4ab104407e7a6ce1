"""Turn the lists a user gives (models, backends, devices, precisions, batches, resolutions) into Cases.

Runtime layer (grid).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from infercost.backends import backend_class
from infercost.case import PRECISIONS, Case, parse_dims, parse_resolution, validate_device
from infercost.errors import UsageError
from infercost.inputs import Input, token_inputs
from infercost.limits import BATCH, check_cases
from infercost.models import ModelSpec, check_size_axis, resolve_model
from infercost.models.loaders import check_buildable


def split_list(text: str | Iterable[str] | None) -> list[str]:
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return [p.strip() for p in parts if p.strip()]


def parse_batches(text: str, what: str = "batch size") -> list[int]:
    """'1,2,4' -> [1, 2, 4]: whole numbers within the batch bound (sequence lengths share it)."""
    batches = [BATCH.check(what, part) for part in split_list(text)]
    if not batches:
        raise UsageError(f"no {what} given")
    return batches


def default_size(spec: ModelSpec, bound: bool = False) -> tuple[int, int] | None:
    """The model's default resolution; an ONNX file's own fixed size, or an error if it has none (unless its
    dimensions are bound by name). None for a model that takes no image."""
    if spec.tokens:
        return None
    if spec.source != "onnx":
        return spec.default_resolution, spec.default_resolution
    from infercost.models.onnx_file import file_resolution, read_inputs

    size = file_resolution(spec.path)
    image = read_inputs(spec.path)[0].image
    if size is None and image and not bound:
        raise UsageError(f"{spec.path} has a dynamic height and width: pass --resolution")
    return size if image else None


def model_inputs(spec: ModelSpec) -> tuple[Input, ...]:
    """The inputs a case names: a token model's (batch, seq) tensors, an ONNX file's own inputs unless it takes one
    image batch; nothing for the usual image batch (implied, so image cases keep their ids)."""
    if spec.tokens:
        return token_inputs(spec.token_inputs)
    if spec.source == "onnx":
        from infercost.models.onnx_file import read_inputs

        inputs = tuple(read_inputs(spec.path))
        return () if len(inputs) == 1 and inputs[0].image else inputs
    return ()


def expand(models: list[str], backends: list[str], devices: list[str], *, precisions: list[str],
           batches: list[int], resolutions: list[str] | None, channels_last: bool = False,
           dims: list[str] | None = None) -> list[Case]:
    """Every combination, validated up front so that bad input fails before anything runs."""
    for what, given in (("model", models), ("backend", backends), ("device", devices), ("precision", precisions)):
        if not given:
            raise UsageError(f"no {what} given")
    for backend in backends:
        backend_class(backend)
    for device in devices:
        validate_device(device)
    for precision in precisions:
        if precision not in PRECISIONS:
            raise UsageError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    check_cases(len(models) * len(backends) * len(devices) * len(precisions) * len(batches)
                * max(1, len(resolutions or [])) * max(1, len(dims or [])), "the grid")
    for binding in dims or []:
        parse_dims(binding)  # refuse a bad NAME=VALUE before anything runs
    cases = []
    for model in models:
        spec = resolve_model(model)
        if dims and spec.source != "onnx" and not spec.tokens:
            raise UsageError(f"--dim and --seq-len bind the named dimensions of an ONNX file or the sequence length "
                             f"of a token model; {model} is neither")
        check_size_axis(model, resolution=bool(resolutions))
        if spec.llm is not None:
            check_buildable(model, spec.llm)
        inputs = model_inputs(spec)
        sizes = [parse_resolution(r) for r in resolutions] if resolutions else [default_size(spec, bool(dims))]
        bindings = dims or ([f"seq={spec.default_seq}"] if spec.tokens else [""])
        for size, binding in itertools.product(sizes, bindings):  # every input must be fillable before anything runs
            for inp in inputs:
                inp.bind(batches[0], *(size or (None, None)), parse_dims(binding))
        for backend, device, precision, batch, size, binding in itertools.product(
                backends, devices, precisions, batches, sizes, bindings):
            height, width = size or (None, None)
            cases.append(Case(model=model, backend=backend, device=device, precision=precision,
                              batch_size=batch, height=height, width=width, channels_last=channels_last,
                              options=(("dims", binding),) if binding else (), inputs=inputs))
    return cases


@dataclass(frozen=True)
class Grid:
    """The points of a bench: every combination of these lists (resolutions empty: each model's own size)."""

    models: tuple[str, ...]
    backends: tuple[str, ...] = ("torch",)
    devices: tuple[str, ...] = ("cpu",)
    precisions: tuple[str, ...] = ("fp32",)
    batches: tuple[int, ...] = (1,)
    resolutions: tuple[str, ...] = ()
    channels_last: bool = False
    dims: tuple[str, ...] = ()  # an ONNX file's named dimensions, "seq=128,heads=12" per point
    output_lens: tuple[int, ...] = ()  # tokens to generate: each makes the points generation cases


    @classmethod
    def of(cls, models, *, backends=None, devices="cpu", precisions="fp32", batches=1, resolutions=None,
           channels_last: bool = False, dims=(), seq_lens=None, output_lens=()) -> Grid:
        """The grid a user asks for, from the CLI's comma-separated text or a Python caller's values and lists
        alike: backends default to default_backend's, `dims` are NAME=VALUE bindings joined once per sequence
        length, and an empty list of resolutions is refused (None: each model's own size)."""
        models = _items(models)
        if resolutions is not None and not _items(resolutions):
            raise UsageError("no resolution given; use e.g. --resolution 224,512x384")
        seqs = [BATCH.check("sequence length", n) for n in _items(seq_lens)]
        return cls(tuple(models), tuple(_items(default_backend(models) if backends is None else backends)),
                   tuple(_items(devices)), tuple(_items(precisions)),
                   tuple(BATCH.check("batch size", b) for b in _items(batches) or _no("batch size")),
                   tuple(_items(resolutions)), channels_last, tuple(dim_bindings(_items(dims), seqs)),
                   tuple(BATCH.check("output length", n) for n in _items(output_lens)))

    @property
    def auto(self) -> bool:
        """Whether the stack is to be chosen (--backend auto or --precision auto)."""
        return self.backends == ("auto",) or self.precisions == ("auto",)

    def cases(self) -> list[Case]:
        """Every point, validated; under auto, torch fp32 stands in until the stack is chosen."""
        backends = ["torch"] if self.auto else list(self.backends)
        precisions = ["fp32"] if self.auto else list(self.precisions)
        cases = expand(list(self.models), backends, list(self.devices), precisions=precisions,
                       batches=list(self.batches), resolutions=list(self.resolutions) or None,
                       channels_last=self.channels_last, dims=list(self.dims))
        if not self.output_lens:
            return cases
        for model in self.models:
            if resolve_model(model).causal is None:
                raise UsageError(f"--output-len generates tokens; {model} is not a causal language model "
                                 f"(gpt2, llama-1.1b, or hf:DIR of one)")
        check_cases(len(cases) * len(self.output_lens), "the grid")
        return [c.with_(options=tuple(sorted((*c.options, ("output_len", n))))) for c in cases
                for n in self.output_lens]


def _items(value) -> list[str]:
    """A value, a list of values, or comma-separated text: the items as text (None: none)."""
    if value is None:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return split_list(str(v) for v in values)


def _no(what: str):
    raise UsageError(f"no {what} given")


def single_case(model: str, backend: str = "torch", device: str = "cpu", *, precision: str = "fp32",
                resolution: str | None = None, batch: int = 1) -> Case:
    """One validated case, as a command that serves or profiles a single stack names it."""
    return expand([model], [backend], [device], precisions=[precision], batches=[batch],
                  resolutions=[resolution] if resolution else None)[0]


def default_backend(models: Iterable[str]) -> str:
    """The backend a bench runs when none is named: ONNX Runtime when every model is an ONNX file (PyTorch can't
    load one), PyTorch eager otherwise."""
    models = list(models)
    return "onnxruntime" if models and all(m.lower().endswith(".onnx") for m in models) else "torch"


def dim_bindings(dims: list[str], seq_lens: list[int]) -> list[str]:
    """The points' dimension bindings: every --dim NAME=VALUE together, once per --seq-len value (bound as seq,
    which every conventional sequence name takes: seq, sequence, sequence_length, seq_len)."""
    fixed = ",".join(dims)
    if not seq_lens:
        return [fixed] if fixed else []
    return [",".join(filter(None, [fixed, f"seq={n}"])) for n in seq_lens]
