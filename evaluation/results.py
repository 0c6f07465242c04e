"""``meta.eval_results``: storing scores, reading the latest ones, and the comparison table."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from evaluation.errors import EvaluationError
from warehouse.db import table_exists, transaction, utcnow

MADE_BY = "`riftlab eval` (its first run creates meta.eval_results)"


@dataclass(frozen=True)
class Score:
    model: str
    run_id: str | None
    task: str
    split: str
    metric: str
    value: float
    is_main: bool
    data_snapshot_id: str


def existing_splits(con: duckdb.DuckDBPyConnection, model: str, task: str, snapshot_id: str) -> set[str]:
    """Splits of ``task`` already scored for ``model`` on the data snapshot ``snapshot_id``."""
    if not table_exists(con, "meta", "eval_results"):
        return set()
    rows = con.execute(
        "SELECT DISTINCT split FROM meta.eval_results WHERE model = ? AND task = ? AND data_snapshot_id = ?",
        [model, task, snapshot_id],
    ).fetchall()
    return {row[0] for row in rows}


def store(con: duckdb.DuckDBPyConnection, scores: list[Score]) -> int:
    """Replace the rows of the same (model, task, split, snapshot) with ``scores``, in one transaction."""
    if not scores:
        return 0
    now = utcnow()
    keys = sorted({(s.model, s.task, s.split, s.data_snapshot_id) for s in scores})
    with transaction(con):
        con.executemany(
            "DELETE FROM meta.eval_results WHERE model = ? AND task = ? AND split = ? AND data_snapshot_id = ?",
            [list(k) for k in keys],
        )
        con.executemany(
            "INSERT INTO meta.eval_results (model, run_id, task, split, metric, value, is_main, evaluated_at, "
            "data_snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [s.model, s.run_id, s.task, s.split, s.metric, s.value, s.is_main, now, s.data_snapshot_id]
                for s in scores
            ],
        )
    return len(scores)


def latest(
    con: duckdb.DuckDBPyConnection, models: Iterable[str] | None = None, main_only: bool = False
) -> list[dict[str, Any]]:
    """The most recent score of each (model, task, split, metric)."""
    if not table_exists(con, "meta", "eval_results"):
        raise EvaluationError(f"the warehouse has no meta.eval_results: {MADE_BY}")
    models = list(models) if models is not None else None
    where, params = [], []
    if models is not None:
        if not models:
            return []
        where.append(f"model IN ({', '.join('?' for _ in models)})")
        params.extend(models)
    if main_only:
        where.append("is_main")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    cursor = con.execute(
        f"""
        SELECT model, run_id, task, split, metric, value, is_main, evaluated_at, data_snapshot_id
        FROM meta.eval_results {clause}
        QUALIFY row_number() OVER (PARTITION BY model, task, split, metric ORDER BY evaluated_at DESC) = 1
        ORDER BY task, split, metric, model
        """,
        params,
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


#: scores shown beside each task's main metric: chance levels, and the chance-corrected clustering score
SHOWN_BESIDE_MAIN = ("ami",)
#: metrics where less is better (the language-model tasks' perplexity and its relatives)
LOWER_IS_BETTER = frozenset({"perplexity", "loss", "bits_per_byte"})


def shown(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a comparison table shows: main metrics, ``chance_*`` levels and :data:`SHOWN_BESIDE_MAIN`."""
    return [r for r in records if r["is_main"] or r["metric"].startswith("chance") or r["metric"] in SHOWN_BESIDE_MAIN]


@dataclass
class Comparison:
    """Scores pivoted: (task, split, metric) rows x model columns."""

    models: list[str]
    rows: list[tuple[str, str, str]]
    values: dict[tuple[str, str, str], dict[str, float]]

    def best(self, row: tuple[str, str, str]) -> set[str]:
        """Models with the best value on ``row`` (lowest for ``chance_*``); none when all tie."""
        scored = {m: v for m, v in self.values[row].items() if v is not None and not math.isnan(v)}
        if len(scored) < 2 or len(set(scored.values())) == 1:
            return set()
        lower = row[2].startswith("chance") or row[2] in LOWER_IS_BETTER
        target = (min if lower else max)(scored.values())
        return {m for m, v in scored.items() if v == target}


def compare(records: list[dict[str, Any]], models: list[str] | None = None) -> Comparison:
    order = models or sorted({r["model"] for r in records}, key=lambda m: (m != "minilm", m))
    values: dict[tuple[str, str, str], dict[str, float]] = {}
    for record in records:
        if record["model"] not in order:
            continue
        values.setdefault((record["task"], record["split"], record["metric"]), {})[record["model"]] = record["value"]
    return Comparison(models=list(order), rows=sorted(values), values=values)


def format_value(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def rich_table(comparison: Comparison, base: str | None = "minilm", title: str = "Evaluation: tasks x models"):
    """A rich table; best value per row in bold, deltas against ``base`` beside the others."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("task")
    table.add_column("split")
    table.add_column("metric")
    for model in comparison.models:
        table.add_column(model, justify="right", overflow="fold")
    for row in comparison.rows:
        best = comparison.best(row)
        cells = []
        base_value = comparison.values[row].get(base) if base else None
        for model in comparison.models:
            value = comparison.values[row].get(model)
            text = format_value(value)
            if value is not None and base_value is not None and model != base and not row[2].startswith("chance"):
                delta = value - base_value
                gain = -delta if row[2] in LOWER_IS_BETTER else delta
                colour = "green" if gain > 0 else "red" if gain < 0 else "dim"
                text += f" [{colour}]({delta:+.3f})[/]"
            if model in best:
                text = f"[bold]{text}[/bold]"
            cells.append(text)
        table.add_row(*row, *cells)
    return table
