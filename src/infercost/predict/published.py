"""Predictions calibrated on published measurements: held-out validation, honest bands, and the fitted state.

`validate(hold_out)` fits on every group but one (an accelerator, a model, a stack or a generation), predicts the
group held out, and repeats for every group. Bands come from those held-out errors, split by whether the held-out
point's generation was in the fit: a known generation against an unseen one (split-conformal prediction). Each
held-out point is judged against a band built from the other groups' errors only, so the coverage reported is the
coverage a new case of that kind would see.

`calibration()` is the fit on the whole corpus with the bands of a leave-one-accelerator-out validation. It is
shipped in data/calibration.json and rebuilt (and cached) only when the corpus, the catalog's chips or the
predictor change, or a user adds rows of their own.

Domain layer (predict).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from infercost.errors import UsageError
from infercost.paths import cache_dir
from infercost.predict.corpus import STACK_OF_BACKEND, Point, is_study, load_rows, study_points, usable
from infercost.predict.corpus_roofline import (
    Chip,
    Design,
    Params,
    borrow_unseen,
    chips_from,
    fit,
    shapes_for,
)

HOLD_OUTS = ("accelerator", "model", "stack", "generation")
COVERAGE = 0.9  # the band is the 90th percentile of held-out absolute log errors of predictions of its kind
SEEN, UNSEEN = "generation seen", "generation unseen"


def _group(point: Point, hold_out: str, chips: dict[str, Chip]) -> str:
    return {"accelerator": point.chip, "model": point.model, "stack": point.stack,
            "generation": chips[point.chip].generation}[hold_out]


def corpus_points(published: str | None = None, catalog=None) -> tuple[list[Point], dict[str, Chip]]:
    """The usable points of the shipped corpus (and of a user's file), on chips the catalog describes."""
    from infercost.pricing import load_catalog

    chips = chips_from(catalog or load_catalog())
    rows = load_rows() + (load_rows(published) if published and not is_study(published) else [])
    points, _ = usable(rows)
    if published and is_study(published):
        points += study_points(published, chips)[0]
    return [p for p in points if p.chip in chips], chips


@dataclass
class HeldOut:
    point: Point
    group: str
    pool: str  # SEEN or UNSEEN: was the point's generation in the fit that predicted it
    log_ratio: float  # log(predicted / measured)


def held_out(points: list[Point], chips: dict[str, Chip], hold_out: str) -> list[HeldOut]:
    """Every point predicted by a fit that never saw its group."""
    if hold_out not in HOLD_OUTS:
        raise UsageError(f"--hold-out must be one of {', '.join(HOLD_OUTS)} for published validation")
    shapes = shapes_for(points)
    found = []
    for group in sorted({_group(p, hold_out, chips) for p in points}):
        test = [p for p in points if _group(p, hold_out, chips) == group]
        train = [p for p in points if _group(p, hold_out, chips) != group]
        if not train:
            continue
        params = fit(train, chips, shapes)
        for point in test:
            chip = chips[point.chip]
            used, _ = borrow_unseen(params, chip.generation, chip.kind)
            predicted = Design([point], chips, shapes).predict(used)[0]
            pool = SEEN if chip.generation in params.seen else UNSEEN
            found.append(HeldOut(point, group, pool, math.log(predicted / point.seconds)))
    return found


def _band(errors: list[float]) -> float | None:
    return float(np.quantile(np.abs(errors), COVERAGE)) if errors else None


def validate(hold_out: str = "accelerator", published: str | None = None) -> dict:
    """Per-group and overall median and p90 absolute error, and the share of points inside their band."""
    points, chips = corpus_points(published)
    results = held_out(points, chips, hold_out)
    inside, by_group = [], {}
    for group in sorted({r.group for r in results}):
        mine = [r for r in results if r.group == group]
        for r in mine:  # each point against the band the other groups' errors give its pool
            band = _band([o.log_ratio for o in results if o.group != group and o.pool == r.pool])
            inside.append(band is not None and abs(r.log_ratio) <= band)
        errors = np.array([abs(math.exp(r.log_ratio) - 1) for r in mine])
        by_group[group] = {"points": len(mine), "median_error": float(np.median(errors)),
                           "p90_error": float(np.percentile(errors, 90)),
                           "bias": float(math.exp(np.median([r.log_ratio for r in mine]))),
                           "pool": mine[0].pool}
    errors = np.array([abs(math.exp(r.log_ratio) - 1) for r in results])
    return {"hold_out": hold_out, "points": len(results), "groups": len(by_group),
            "median_error": float(np.median(errors)), "p90_error": float(np.percentile(errors, 90)),
            "band_coverage": float(np.mean(inside)),
            "bands": {pool: _band([r.log_ratio for r in results if r.pool == pool]) for pool in (SEEN, UNSEEN)},
            "by_group": by_group}


def _key(published: str | None) -> str:
    """What a calibration depends on: the corpus, a user's rows, the catalog's chips and the predictor's code."""
    from infercost.predict import corpus, corpus_roofline

    digest = hashlib.sha256()
    for text in (resources.files("infercost.predict").joinpath("data", "published-measurements.csv").read_bytes(),
                 Path(corpus_roofline.__file__).read_bytes(), Path(corpus.__file__).read_bytes(),
                 resources.files("infercost.pricing").joinpath("data", "accelerators.csv").read_bytes(),
                 _published_bytes(published)):
        digest.update(hashlib.sha256(text).digest())
    return digest.hexdigest()[:16]


def _published_bytes(published: str | None) -> bytes:
    if not published:
        return b""
    path = Path(published)
    return (path / "results.jsonl" if path.is_dir() else path).read_bytes() if path.exists() else b""


@dataclass
class Calibration:
    params: Params
    bands: dict[str, float]  # kind of prediction -> band on |log(predicted / measured)|
    models: list[str]  # the models in the corpus
    key: str

    @property
    def rows(self) -> dict[str, int]:
        """Corpus points behind each generation and stack."""
        return self.params.seen

    def to_dict(self) -> dict:
        return {"key": self.key, "params": self.params.values, "seen": self.params.seen, "bands": self.bands,
                "models": self.models}

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(Params(data["params"], data["seen"]), data["bands"], data["models"], data["key"])


def build(published: str | None = None) -> Calibration:
    """Fit on everything; bands from held-out validations: each accelerator (a generation seen or unseen), each
    model and each stack held out in turn (a few minutes on two cores)."""
    points, chips = corpus_points(published)
    by_accelerator = held_out(points, chips, "accelerator")
    bands = {pool: _band([r.log_ratio for r in by_accelerator if r.pool == pool]) for pool in (SEEN, UNSEEN)}
    bands["model unseen"] = _band([r.log_ratio for r in held_out(points, chips, "model")])
    bands["stack unseen"] = _band([r.log_ratio for r in held_out(points, chips, "stack")])
    params = fit(points, chips)
    return Calibration(params, {k: v for k, v in bands.items() if v is not None}, sorted({p.model for p in points}),
                       _key(published))


def shipped_path() -> Path:
    return Path(str(resources.files("infercost.predict").joinpath("data", "calibration.json")))


@functools.lru_cache(maxsize=8)
def calibration(published: str | None = None) -> Calibration:
    """The shipped calibration when it matches the inputs, else a cached one, else a new fit (then cached)."""
    key = _key(published)
    for path in (shipped_path(), cache_dir("calibration") / f"{key}.json"):
        if path.exists():
            data = json.loads(path.read_text())
            if data.get("key") == key:
                return Calibration.from_dict(data)
    found = build() if published is None else _refit(published)
    (cache_dir("calibration") / f"{key}.json").write_text(json.dumps(found.to_dict(), indent=1))
    return found


def _refit(published: str) -> Calibration:
    """The corpus with a user's rows or study: refitted (seconds), with the shipped calibration's validated bands."""
    base = calibration()
    points, chips = corpus_points(published)
    params = fit(points, chips)
    return Calibration(params, base.bands, sorted({p.model for p in points}), _key(published))


CPU_STACKS = ("torch", "tensorflow", "mxnet", "onnxruntime", "openvino")


@functools.lru_cache(maxsize=64)
def _shape(model: str, height: int | None, width: int | None, seq: int | None = None):
    """A model's layer arrays, made once per size (recommend asks for the same ones for every instance)."""
    from infercost.predict.corpus_roofline import Shape

    return Shape.of(model, height, width, seq)


@dataclass
class PublishedPrediction:
    """One batch's predicted time on a chip, with the band its kind of prediction earned in held-out validation."""

    seconds: float
    low_s: float
    high_s: float
    stack: str
    band: float  # on |log(predicted / measured)|
    pool: str
    generation: str
    generation_rows: int
    stack_rows: int
    notes: list[str]


def predict_published(model: str, chip: Chip, precision: str, *, batch: int, size: tuple[int, int],
                      backend: str | None = None, cores: int | None = None,
                      found: Calibration | None = None, seq: int | None = None) -> PublishedPrediction:
    """The calibrated prediction; without a backend, the fastest stack the corpus knows for this kind of device. A
    token model is shaped at `seq` tokens (its default length when None)."""
    from infercost.layers import BYTES
    from infercost.predict.corpus import Row

    found = found or calibration()
    if backend is not None and backend not in STACK_OF_BACKEND:
        raise UsageError(f"unknown backend {backend!r} for a prediction; use one of {', '.join(STACK_OF_BACKEND)}")
    if precision not in BYTES:
        raise UsageError(f"unknown precision {precision!r}")
    params, notes = found.params, []
    params, note = borrow_unseen(params, chip.generation, chip.kind)
    notes += [note] if note else []
    shapes = {(model, size[0], size[1], seq): _shape(model, size[0], size[1], seq)}
    row = Row(0, chip.name, "", "", model, precision, str(batch), "", "throughput_per_s", 1.0, "", "", "prediction",
              "prediction")
    allowed = CPU_STACKS if chip.kind == "cpu" else tuple(dict.fromkeys(STACK_OF_BACKEND.values())) + ("triton",)
    stacks = [STACK_OF_BACKEND[backend]] if backend else [s for s in allowed if s in found.rows and s != "triton"]
    times = {}
    for stack in stacks or ["torch"]:
        point = Point(row, model, chip.name, stack, precision, batch, size[0], size[1], 1.0, cores, seq)
        times[stack] = Design([point], {chip.name: chip}, shapes).predict(params)[0]
    stack = min(times, key=times.get)
    band = found.bands.get(UNSEEN if chip.generation not in found.rows else SEEN, max(found.bands.values()))
    if stack not in found.rows:
        band = max(band, found.bands.get("stack unseen", band))
        notes.append(f"stack {stack} is not in the corpus: its family's terms serve it, and the band is an unseen "
                     f"stack's")
    if model not in found.models:
        band = max(band, found.bands.get("model unseen", band))
        notes.append(f"{model} is not in the corpus: the band is that of a model held out")
    seconds = float(times[stack])
    return PublishedPrediction(seconds, seconds * math.exp(-band), seconds * math.exp(band), stack, band,
                               UNSEEN if chip.generation not in found.rows else SEEN, chip.generation,
                               found.rows.get(chip.generation, 0), found.rows.get(stack, 0), notes)


def write_shipped() -> Path:
    """Rebuild data/calibration.json from the shipped corpus (after the corpus, the chips or the predictor change)."""
    path = shipped_path()
    path.write_text(json.dumps(build().to_dict(), indent=1) + "\n")
    return path
