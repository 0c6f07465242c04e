"""Checkpoint promotion: mark the best model ``current`` only when it is better without regressions.

The candidate is the model with the best primary metric (``evaluation.primary_metric``,
``TASK:SPLIT:METRIC``) among the latest scores.  It replaces the current model only when it beats
it on that metric and no other task's main metric drops by more than ``evaluation.tolerance``
(splits a task declares ``diagnostic_splits``, parts of another split, are not gates).
Every decision (promoted, rejected, unchanged) lands in ``meta.promotions`` with its reasons.
A model that is a training run is a candidate only once its row in ``meta.training_runs`` is
``finished``: a run still ``running`` (or failed) has no checkpoint the registry vouches for.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb

from evaluation import results
from evaluation.errors import EvaluationError
from warehouse.db import table_exists, transaction, utcnow


@dataclass
class Decision:
    candidate: str
    run_id: str | None
    previous: str | None
    primary: str
    value: float
    previous_value: float | None
    promoted: bool
    status: str  # current, rejected, unchanged
    reasons: list[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = {"current": "promoted", "rejected": "not promoted", "unchanged": "already current"}[self.status]
        return f"{self.candidate} {verdict}: " + "; ".join(self.reasons)


def parse_primary(primary: str) -> tuple[str, str, str]:
    parts = primary.split(":")
    if len(parts) != 3 or not all(parts):
        raise EvaluationError(f"evaluation.primary_metric must be TASK:SPLIT:METRIC, got '{primary}'")
    return parts[0], parts[1], parts[2]


def current_model(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute(
        "SELECT model FROM meta.promotions WHERE promoted ORDER BY decided_at DESC, promotion_id DESC LIMIT 1"
    ).fetchall()
    return rows[0][0] if rows else None


def unfinished_runs(con: duckdb.DuckDBPyConnection, run_ids: set[str]) -> dict[str, str]:
    """Each of ``run_ids`` whose training row is not ``finished``, with its status ('missing' when it has no row)."""
    if not run_ids:
        return {}
    statuses = {}
    if table_exists(con, "meta", "training_runs"):
        ids = sorted(run_ids)
        statuses = dict(
            con.execute(
                f"SELECT run_id, status FROM meta.training_runs WHERE run_id IN ({', '.join('?' for _ in ids)})", ids
            ).fetchall()
        )
    return {run_id: statuses.get(run_id, "missing") for run_id in run_ids if statuses.get(run_id) != "finished"}


def _ok(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def decide(
    con: duckdb.DuckDBPyConnection,
    primary: str,
    tolerance: float,
    models: list[str] | None = None,
    ungated: frozenset[tuple[str, str]] = frozenset(),
) -> Decision:
    """Pick the candidate and judge it against the current model (no writes).

    ``ungated`` (task, split) pairs may drop without vetoing the candidate.
    """
    task, split, metric = parse_primary(primary)
    records = results.latest(con)  # every model: the current one is judged even when --model leaves it out
    by_model: dict[str, dict[tuple[str, str, str], float]] = {}
    run_ids: dict[str, str | None] = {}
    mains: set[tuple[str, str, str]] = set()
    for r in records:
        by_model.setdefault(r["model"], {})[(r["task"], r["split"], r["metric"])] = r["value"]
        run_ids[r["model"]] = r["run_id"]
        if r["is_main"]:
            mains.add((r["task"], r["split"], r["metric"]))
    key = (task, split, metric)
    scored = {m: v[key] for m, v in by_model.items() if _ok(v.get(key)) and (not models or m in models)}
    unfinished = unfinished_runs(con, {run_ids[m] for m in scored if run_ids.get(m)})
    held_back = [f"{m} (training run {unfinished[run_ids[m]]})" for m in sorted(scored) if run_ids.get(m) in unfinished]
    scored = {m: value for m, value in scored.items() if run_ids.get(m) not in unfinished}
    if not scored:
        waiting = f"; not finished: {', '.join(held_back)} (`riftlab runs` shows them)" if held_back else ""
        raise EvaluationError(f"no model has a score for {primary}{waiting}: run `riftlab eval` on that task first")
    candidate = max(sorted(scored), key=lambda m: scored[m])
    previous = current_model(con)
    decision = Decision(
        candidate, run_ids.get(candidate), previous, primary, scored[candidate], None, False, "rejected"
    )
    if held_back:
        decision.reasons.append(f"not candidates, their training runs are not finished: {', '.join(held_back)}")
    if previous is None:
        decision.promoted, decision.status = True, "current"
        decision.reasons.append(f"no current model; best {primary} = {scored[candidate]:.4f}")
        return decision
    if previous == candidate:
        decision.status = "unchanged"
        decision.previous_value = scored[candidate]
        decision.reasons.append(f"the current model is still the best on {primary} ({scored[candidate]:.4f})")
        return decision
    previous_scores = by_model.get(previous, {})
    decision.previous_value = previous_scores.get(key)
    if not _ok(decision.previous_value):
        decision.reasons.append(f"current model {previous} has no {primary} score; it is replaced")
        decision.promoted, decision.status = True, "current"
        return decision
    if scored[candidate] <= decision.previous_value:
        decision.reasons.append(
            f"{primary} {scored[candidate]:.4f} does not beat the current {decision.previous_value:.4f}"
        )
        return decision
    decision.reasons.append(f"{primary} {scored[candidate]:.4f} beats the current {decision.previous_value:.4f}")
    drops = []
    for other in sorted(mains - {key}):
        if other[:2] in ungated:
            continue
        new, old = by_model[candidate].get(other), previous_scores.get(other)
        if _ok(new) and _ok(old) and old - new > tolerance:
            drops.append(f"{':'.join(other)} drops {old:.4f} -> {new:.4f} (more than {tolerance})")
    if drops:
        decision.reasons.extend(drops)
        return decision
    decision.reasons.append(f"no other task drops by more than {tolerance}")
    decision.promoted, decision.status = True, "current"
    return decision


def record(con: duckdb.DuckDBPyConnection, decision: Decision) -> None:
    """Append the decision to ``meta.promotions``."""
    with transaction(con):
        con.execute(
            "INSERT INTO meta.promotions (promotion_id, model, run_id, previous_model, primary_metric, value, "
            "previous_value, promoted, status, reasons, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid4().hex[:12],
                decision.candidate,
                decision.run_id,
                decision.previous,
                decision.primary,
                decision.value,
                decision.previous_value,
                decision.promoted,
                decision.status,
                "; ".join(decision.reasons),
                utcnow(),
            ],
        )


def promote(
    con: duckdb.DuckDBPyConnection,
    primary: str,
    tolerance: float,
    models: list[str] | None = None,
    ungated: frozenset[tuple[str, str]] = frozenset(),
) -> Decision:
    decision = decide(con, primary, tolerance, models, ungated)
    record(con, decision)
    return decision
