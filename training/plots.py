"""Loss curves of a run, as the seed compared them: train and eval loss per optimiser step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOSS_CURVES = "loss_curves.png"


def loss_series(log_history: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """(step, value) pairs of ``loss``, ``head_loss`` and every ``eval_*loss`` in a Trainer's log history."""
    series: dict[str, list[tuple[int, float]]] = {}
    for entry in log_history:
        step = int(entry.get("step", 0))
        for key, value in entry.items():
            if not isinstance(value, (int, float)):
                continue
            if key == "loss":
                series.setdefault("train loss", []).append((step, float(value)))
            elif key == "head_loss":  # training/head.py
                series.setdefault("label head loss", []).append((step, float(value)))
            elif key.startswith("eval_") and key.endswith("loss"):
                series.setdefault(
                    key.removeprefix("eval_").replace("_", " ") if key != "eval_loss" else "eval loss", []
                ).append((step, float(value)))
    return series


def save_loss_curves(log_history: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Write the PNG; returns None when the history holds no loss at all."""
    series = loss_series(log_history)
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for label, points in series.items():
        steps, values = zip(*points, strict=True)
        ax.plot(steps, values, marker="o" if len(points) < 30 else None, markersize=3, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
