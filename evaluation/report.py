"""``riftlab report eval``: one HTML page comparing the evaluated models.

The page holds the tasks x models table (best in bold, deltas against the base), a 2-D PCA map of
champion-name embeddings per model (colour = primary class, marker = primary position), the
nearest neighbours of a few well-known champions per model, an offline neighbour search (every
champion's nearest names and a few kit descriptions' champions, precomputed per model by
:mod:`evaluation.neighbours`, as ``riftlab neighbours`` prints them), and each training run's loss
curve (PNG files found under its output_path).  Images and data are embedded, so the page is one file.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import models, neighbours, results
from evaluation.errors import EvaluationError
from warehouse.db import table_exists
from warehouse.project import Project

REPORT_NAME = "eval.html"
_MARKERS = {"Top": "^", "Jungle": "s", "Middle": "o", "Bottom": "v", "Support": "D"}


@dataclass
class ModelView:
    ref: models.ModelRef
    pca_png: str | None = None  # base64
    neighbours: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    error: str | None = None
    search: dict[str, Any] | None = None  # the offline search's precomputed answers (neighbours.table_for_page)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _champions(con) -> list[dict[str, Any]]:
    if not table_exists(con, "main", "champions"):
        raise EvaluationError("the warehouse has no main.champions: `riftlab build --select champions` makes it")
    cursor = con.execute(
        "SELECT champion_key, name, classes[1] AS class, positions[1] AS position, embedding_split "
        "FROM main.champions ORDER BY champion_key"
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """Project rows onto their first two principal components (SVD of the centred matrix)."""
    centred = embeddings - embeddings.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def _pca_figure(points: np.ndarray, champions: list[dict[str, Any]], title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = sorted({c["class"] or "?" for c in champions})
    colours = {cls: plt.cm.tab10(i % 10) for i, cls in enumerate(classes)}
    figure, axis = plt.subplots(figsize=(7.5, 6) if len(champions) <= 40 else (11, 9))
    for position, marker in {**_MARKERS, None: "x"}.items():
        idx = [i for i, c in enumerate(champions) if (c["position"] if c["position"] in _MARKERS else None) == position]
        if not idx:
            continue
        axis.scatter(
            points[idx, 0],
            points[idx, 1],
            c=[colours[champions[i]["class"] or "?"] for i in idx],
            marker=marker,
            s=46,
            edgecolors="black",
            linewidths=[1.4 if champions[i]["embedding_split"] == "heldout" else 0.2 for i in idx],
        )
    for i, c in enumerate(champions):
        axis.annotate(c["name"], points[i], fontsize=6, alpha=0.75, xytext=(3, 2), textcoords="offset points")
    handles = [plt.Line2D([], [], color=colours[cls], marker="o", linestyle="", label=cls) for cls in classes]
    handles += [plt.Line2D([], [], color="grey", marker=m, linestyle="", label=p) for p, m in _MARKERS.items()]
    axis.legend(handles=handles, fontsize=7, loc="best", title="class / position", title_fontsize=7)
    axis.set_title(f"{title} (thick edge = held-out)", fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    data = _png(figure)
    plt.close(figure)
    return data


def _loss_curves(con) -> list[tuple[str, str, str]]:
    """(run id, file name, base64 PNG) of every loss-curve PNG under a run's output_path."""
    found = []
    for run in models.training_runs(con):
        output = Path(run["output_path"]).expanduser() if run["output_path"] else None
        if output is None or not output.is_dir():
            continue
        for png in sorted(output.glob("*.png")) + sorted(output.glob("*/*.png")):
            if "loss" in png.name.lower():
                found.append((str(run["run_id"]), png.name, base64.b64encode(png.read_bytes()).decode()))
    return found


def _run_rows(con) -> list[dict[str, Any]]:
    """Training runs with their headline metrics; CLM/SFT runs show validation perplexity."""
    if not table_exists(con, "meta", "training_runs"):
        return []
    rows = []
    for run_id, stage, status, metrics, finished in con.execute(
        "SELECT run_id, stage, status, metrics, finished_at FROM meta.training_runs ORDER BY started_at"
    ).fetchall():
        values = json.loads(metrics) if isinstance(metrics, str) and metrics else (metrics or {})
        shown = {
            k: v
            for k, v in values.items()
            if isinstance(v, (int, float)) and ("perplexity" in k or "loss" in k or "accuracy" in k)
        }
        rows.append({"run_id": run_id, "stage": stage, "status": status, "finished": finished, "metrics": shown})
    return rows


def build_report(project: Project, model_names: list[str] | None = None, console=None) -> Path:
    """Write reports/eval.html and return its path."""
    config = project.config["evaluation"]
    con = project.connect(read_only=True)
    try:
        records = results.shown(results.latest(con, model_names))
        if not records:
            raise EvaluationError("meta.eval_results has no scores yet: run `riftlab eval --model minilm` first")
        comparison = results.compare(records, model_names)
        champions = _champions(con)
        labelled = neighbours.champions(con)
        cards = neighbours.kit_sentences(con)
        refs: list[ModelView] = []
        for name in comparison.models:
            try:
                refs.append(ModelView(models.resolve(name, con, project.root)))
            except EvaluationError as exc:
                refs.append(ModelView(models.ModelRef(name, None, Path(name), name), error=str(exc)))
        curves = _loss_curves(con)
        runs = _run_rows(con)
    finally:
        con.close()

    names = [c["name"] for c in champions]
    wanted = [n for n in config["report_champions"] if n in names]
    k = int(config["report_neighbours"])
    for view in refs:
        if view.error or view.ref.family == "lm":  # a language model: scored in the table, no embedding map
            continue
        try:
            model = models.load(view.ref, decoder_pooling=config["decoder_pooling"])
        except EvaluationError as exc:
            view.error = str(exc)
            continue
        embeddings = np.asarray(
            model.encode(
                names, batch_size=int(config["batch_size"]), normalize_embeddings=True, show_progress_bar=False
            )
        )
        if len(names) >= 3:
            view.pca_png = _pca_figure(pca_2d(embeddings), champions, view.ref.label)
        similarity = embeddings @ embeddings.T
        for name in wanted:
            i = names.index(name)
            order = [j for j in np.argsort(-similarity[i], kind="stable") if j != i][:k]
            view.neighbours[name] = [(names[j], float(similarity[i, j])) for j in order]
        view.search = neighbours.table_for_page(model, labelled, k, cards)

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    base = "minilm" if "minilm" in comparison.models else None
    rows = []
    for row in comparison.rows:
        best = comparison.best(row)
        cells = []
        for model in comparison.models:
            value = comparison.values[row].get(model)
            base_value = comparison.values[row].get(base) if base else None
            delta = None
            if value is not None and base_value is not None and model != base and not row[2].startswith("chance"):
                delta = value - base_value
            cells.append({"text": results.format_value(value), "best": model in best, "delta": delta})
        rows.append({"task": row[0], "split": row[1], "metric": row[2], "cells": cells})
    page = environment.get_template("eval_report.html.j2").render(
        models=[v.ref.label for v in refs],
        base=base,
        rows=rows,
        views=refs,
        curves=curves,
        runs=runs,
        k=k,
        n_champions=len(champions),
        db_path=html.escape(str(project.db_path)),
        search_json=_script_json({v.ref.label: v.search for v in refs if v.search}),
    )
    target = project.reports_dir / REPORT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
