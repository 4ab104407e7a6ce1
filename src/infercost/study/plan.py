"""A study plan: ladders of cases that stop at their first out-of-memory point; profiles; YAML in and out.

Domain layer (study).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from infercost import limits
from infercost.case import Case
from infercost.errors import UsageError
from infercost.grid import model_inputs
from infercost.models import CLASSIFICATION, resolve_model
from infercost.textfiles import one_line, read_text

DEFAULT_MODELS = ("vgg19", "resnet50", "unet", "edsr")
GENERATION_OUTPUT = 32  # tokens each generation point of a study generates


@dataclass(frozen=True)
class Profile:
    """How far a study goes. Batch ladders double up to `batch_cap`; resolutions climb the megapixel ladder."""

    name: str
    batch_cap: int
    resolutions: tuple[int, ...]
    i2i_batches: tuple[int, ...]
    min_time_s: float
    max_time_s: float
    stacks: str  # "quick": torch fp32 + the fastest reduced-precision stack; "standard"; "full": every stack
    point_budget_s: float  # a ladder stops once one point's call takes longer than this
    seq_lens: tuple[int, ...] = (32, 64, 128, 256)  # a token model's ladder


PROFILES = {
    "quick": Profile("quick", 8, (128, 256, 384, 512), (1,), 0.5, 3.0, "quick", 4.0),
    "standard": Profile("standard", 32, (128, 256, 384, 512, 768), (1, 2), 1.0, 10.0, "standard", 15.0,
                        (32, 64, 128, 256, 512)),
    "full": Profile("full", 256, (128, 256, 384, 512, 768, 1000), (1, 2, 4), 1.0, 30.0, "full", 60.0,
                    (32, 64, 128, 256, 512, 1024)),
}


class Ladder(BaseModel):
    """Cases of one model and stack in increasing size; the first out-of-memory point ends the ladder."""

    model: str
    backend: str = "torch"
    device: str = "cpu"
    precision: str = "fp32"
    batches: list[int]
    resolutions: list[int]
    seq_lens: list[int] = []  # a token model climbs these (its resolutions are then [1], unused)
    output_len: int | None = None  # a generation ladder: tokens generated at each point (seq_lens: prompt lengths)

    @field_validator("batches", "resolutions")
    @classmethod
    def _in_range(cls, values: list[int], info) -> list[int]:
        bound, name = (limits.BATCH, "batch size") if info.field_name == "batches" else (limits.SIDE, "resolution")
        try:
            return [bound.check(name, v) for v in values]
        except UsageError as exc:
            raise ValueError(str(exc)) from None

    def cases(self) -> list[Case]:
        """The ladder's points; a token ladder's take the model's token inputs and no image size."""
        if self.seq_lens:
            inputs = model_inputs(resolve_model(self.model))
            extra = (("output_len", self.output_len),) if self.output_len else ()
            return [Case(model=self.model, backend=self.backend, device=self.device, precision=self.precision,
                         batch_size=b, height=None, width=None, options=(("dims", f"seq={n}"), *extra),
                         inputs=inputs)
                    for b in self.batches for n in self.seq_lens]
        return [Case(model=self.model, backend=self.backend, device=self.device, precision=self.precision,
                     batch_size=b, height=r, width=r) for b in self.batches for r in self.resolutions]


class Plan(BaseModel):
    schema_: str = Field("infercost.plan/1", alias="schema")
    profile: str = "quick"
    min_time_s: float = 0.5
    max_time_s: float = 3.0
    point_budget_s: float = 4.0
    ladders: list[Ladder]

    model_config = {"populate_by_name": True}

    @field_validator("min_time_s", "max_time_s", "point_budget_s")
    @classmethod
    def _seconds(cls, value: float, info) -> float:
        try:
            return limits.TIME_S.check(info.field_name, value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _bounded(self) -> Plan:
        try:
            limits.check_cases(sum(len(lad.batches) * len(lad.resolutions) * max(1, len(lad.seq_lens))
                                   for lad in self.ladders), "the plan")
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        return self

    def cases(self) -> list[Case]:
        return [case for ladder in self.ladders for case in ladder.cases()]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(by_alias=True), sort_keys=False)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        text = read_text(path, "plan file")
        try:
            return cls.model_validate(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise UsageError(f"{path}{f':{mark.line + 1}' if mark else ''}: the plan file is not valid YAML "
                             f"({one_line(getattr(exc, 'problem', None) or exc)})") from None
        except (ValidationError, TypeError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            where = ".".join(str(p) for p in first["loc"])
            raise UsageError(f"plan file {path}: {where + ': ' if where else ''}{one_line(first['msg'])}") \
                from None


def reduced_stacks(device: str, flags: list[str]) -> list[tuple[str, str]]:
    """The reduced precisions this device supports, on the stacks that run them best."""
    from infercost.backends import backend_class

    def available(name: str) -> bool:
        return backend_class(name).unavailable_reason() is None

    if device.startswith("cuda"):
        return [("torch", "fp16"), ("torch", "bf16")]
    has_bf16 = any(f in flags for f in ("avx512_bf16", "amx_bf16", "bf16"))
    stacks = []
    if available("openvino"):
        stacks += [("openvino", "bf16")] if has_bf16 else [("openvino", "fp32")]
        stacks += [("openvino", "int8")]
    elif available("onnxruntime"):
        stacks += [("onnxruntime", "fp32"), ("onnxruntime", "int8")]
    if has_bf16:
        stacks += [("torch", "bf16")]
    return stacks


def _stacks(profile: Profile, device: str, backends: list[str] | None, precisions: list[str] | None,
            flags: list[str]) -> list[tuple[str, str]]:
    from infercost.backends import backend_class

    if backends or precisions:
        names = backends or ["torch"]
        wanted = precisions or ["fp32"]
        return [(b, p) for b in names for p in wanted if p in backend_class(b).precisions]
    reduced = reduced_stacks(device, flags)
    if profile.stacks == "quick":
        return [("torch", "fp32")] + reduced[:1]
    if profile.stacks == "standard":
        return [("torch", "fp32")] + reduced
    from infercost.selection import candidates

    return candidates(device, None, None)


def generates(backend: str, precision: str) -> bool:
    """Whether a stack generates with a KV cache (generation/measure.py, generation/onnxruntime_kv.py)."""
    from infercost.generation.measure import GENERATION_BACKENDS
    from infercost.generation.onnxruntime_kv import PRECISIONS

    return backend in GENERATION_BACKENDS and (backend != "onnxruntime" or precision in PRECISIONS)


def build_plan(profile: str = "quick", models: list[str] | None = None, backends: list[str] | None = None,
               *, precisions: list[str] | None = None, device: str = "cpu", flags: list[str] | None = None) -> Plan:
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    chosen = PROFILES[profile]
    if flags is None:
        from infercost.env import fingerprint

        flags = fingerprint()["isa_flags"]
    ladders = []
    batch_ladder = [2**i for i in range(chosen.batch_cap.bit_length()) if 2**i <= chosen.batch_cap]
    for name in models or DEFAULT_MODELS:
        spec = resolve_model(name)
        for backend, precision in _stacks(chosen, device, backends, precisions, flags):
            common = {"model": name, "backend": backend, "device": device, "precision": precision}
            if spec.tokens:  # the sequence ladder, at batch 1 (and small batches at greater depths)
                ladders += [Ladder(**common, batches=[b], resolutions=[1], seq_lens=list(chosen.seq_lens))
                            for b in chosen.i2i_batches]
            elif spec.task == CLASSIFICATION:
                ladders.append(Ladder(**common, batches=batch_ladder, resolutions=[spec.default_resolution]))
            else:
                ladders += [Ladder(**common, batches=[b], resolutions=list(chosen.resolutions))
                            for b in chosen.i2i_batches]
            if spec.causal is not None and generates(backend, precision):
                # Generation: up the batch at the middle prompt length, and up the prompt at batch 1, each
                # stopping at its first out-of-memory point.
                middle = chosen.seq_lens[len(chosen.seq_lens) // 2]
                ladders += [Ladder(**common, batches=batch_ladder[:4], resolutions=[1], seq_lens=[middle],
                                   output_len=GENERATION_OUTPUT),
                            Ladder(**common, batches=[1], resolutions=[1], seq_lens=list(chosen.seq_lens),
                                   output_len=GENERATION_OUTPUT)]
    return Plan(profile=profile, min_time_s=chosen.min_time_s, max_time_s=chosen.max_time_s,
                point_budget_s=chosen.point_budget_s, ladders=ladders)
