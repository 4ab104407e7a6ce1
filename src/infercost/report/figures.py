"""The study's classic figures, drawn from stored records only (PNG and SVG, matplotlib).

Domain layer (report).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from infercost.results.record import Record, stack_label
from infercost.study.fits import Fit


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _panels(models: Sequence[str], width: float):
    """One subplot per model, side by side."""
    fig, axes = _plt().subplots(1, max(1, len(models)), figsize=(width * max(1, len(models)), 3.6), squeeze=False)
    return fig, zip(axes[0], models, strict=False)


def _label(ax, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    for path in paths:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    _plt().close(fig)
    return paths


def throughput_vs_batch(records: Sequence[Record], out: Path) -> list[Path]:
    fig, panels = _panels(sorted({r.model for r in records if r.ok}), 4.2)
    for ax, model in panels:
        lines = defaultdict(list)
        for r in records:
            if r.ok and r.model == model and r.throughput_per_s:
                lines[(stack_label(r), r.size_label)].append((r.batch_size, r.throughput_per_s))
        for (label, size), points in sorted(lines.items()):
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{label} {size}")
        ax.set_xscale("log", base=2)
        _label(ax, model, "batch size", "images / s")
    fig.suptitle("Throughput against batch size")
    return _save(fig, out, "throughput_vs_batch")


def batch1_points(records: Sequence[Record]) -> dict[tuple[str, str], Record]:
    """Per (model, stack), the batch-1 record at the smallest measured resolution."""
    best: dict[tuple[str, str], Record] = {}
    for r in records:
        if r.ok and r.batch_size == 1:
            key = (r.model, stack_label(r))
            if key not in best or r.size < best[key].size:
                best[key] = r
    return best


def batch1_latency(records: Sequence[Record], out: Path) -> list[Path]:
    """Batch-1 latency at each model's smallest measured resolution, one bar per stack."""
    plt = _plt()
    best = batch1_points(records)
    models = sorted({m for m, _ in best})
    stacks = sorted({s for _, s in best})
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * len(models) * max(1, len(stacks)) / 2), 3.8))
    width = 0.8 / max(1, len(stacks))
    for i, stack in enumerate(stacks):
        xs = [m_i + i * width for m_i, m in enumerate(models) if (m, stack) in best]
        ys = [best[(m, stack)].latency_s * 1e3 for m in models if (m, stack) in best]
        ax.bar(xs, ys, width=width, label=stack)
    ax.set_xticks([m_i + width * (len(stacks) - 1) / 2 for m_i in range(len(models))])
    ax.set_xticklabels([f"{m}\n{_size_tick(best[next(k for k in best if k[0] == m)])}" for m in models])
    ax.set_ylabel("batch-1 latency (ms)")
    ax.set_yscale("log")
    ax.set_title("Batch-1 latency by model and stack")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, out, "batch1_latency")


def _size_tick(r: Record) -> str:
    return r.size_label


def latency_vs_megapixels(records: Sequence[Record], fits: Sequence[Fit], out: Path) -> list[Path]:
    return _latency_vs_size(records, fits, out, "megapixels", sorted({r.model for r in records
                                                                        if r.ok and _is_i2i(r.model)}))


def latency_vs_tokens(records: Sequence[Record], fits: Sequence[Fit], out: Path) -> list[Path]:
    """Token models against their sequence length, drawn only when a study has them."""
    models = sorted({r.model for r in records if r.ok and r.tokens})
    return _latency_vs_size(records, fits, out, "tokens", models) if models else []


def _latency_vs_size(records: Sequence[Record], fits: Sequence[Fit], out: Path, axis: str,
                     models: list[str]) -> list[Path]:
    fig, panels = _panels(models, 4.5)
    unit = "MP" if axis == "megapixels" else "token"
    for ax, model in panels:
        lines = defaultdict(list)
        for r in records:
            if r.ok and r.model == model:
                lines[(stack_label(r), r.batch_size)].append((r.size, r.latency_s))
        for (label, batch), points in sorted(lines.items()):
            points.sort()
            drawn = ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linestyle="none",
                            label=f"{label} b{batch}")
            fit = next((f for f in fits if f.model == model and f.x == axis and f.fixed == f"batch {batch}"
                        and f"{f.backend} {f.precision}" == label.split(" (")[0]), None)
            if fit:
                xs = [points[-1][0] * i / 20 for i in range(21)]
                quad = fit.quadratic_s or 0.0
                ax.plot(xs, [fit.intercept_s + fit.slope_s * x + quad * x * x for x in xs],
                        color=drawn[0].get_color(), alpha=0.6,
                        label=f"fit {fit.slope_s:.3g} s/{unit}" + (" + quadratic" if quad else "")
                        + f", R²={fit.r2:.3f}")
        _label(ax, model, axis, "latency (s)")
    fig.suptitle(f"Latency against {axis}")
    return _save(fig, out, f"latency_vs_{axis}")


def _is_i2i(model: str) -> bool:
    from infercost.errors import UsageError
    from infercost.models import IMAGE_TO_IMAGE, resolve_model

    try:
        return resolve_model(model).task == IMAGE_TO_IMAGE
    except UsageError:
        return False


def draw_all(records: Sequence[Record], fits: Sequence[Fit], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return (throughput_vs_batch(records, out) + batch1_latency(records, out)
            + latency_vs_megapixels(records, fits, out) + latency_vs_tokens(records, fits, out))
