"""Checkpoint promotion: mark the best model ``current`` only when it is better without regressions.

The candidate is the model with the best primary metric (``evaluation.primary_metric``,
``TASK:SPLIT:METRIC``) among the latest scores.  It replaces the current model only when it beats
it on that metric and no other task's main metric drops by more than ``evaluation.tolerance``
(splits a task declares ``diagnostic_splits``, parts of another split, are not gates).
Every decision (promoted, rejected, unchanged) lands in ``meta.promotions`` with its reasons.

Language models are promoted per stage (:func:`decide_stage`, ``riftlab promote --stage``), each stage
with its own current model and primary metric: validation perplexity for ``clm`` (lower is better),
closed-book accuracy for ``sft`` and ``dpo`` (the closed-book tasks' validation questions pooled),
and for ``export`` closed-book accuracy kept within the tolerance of the source model at weights at
least ``min_size_ratio`` times smaller.  A stage's first candidate is judged against the model it
started from (its run's base) when that model is scored.
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


def current_model(con: duckdb.DuckDBPyConnection, stage: str = "embed") -> str | None:
    rows = con.execute(
        "SELECT model FROM meta.promotions WHERE promoted AND coalesce(stage, 'embed') = ? "
        "ORDER BY decided_at DESC, promotion_id DESC LIMIT 1",
        [stage],
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


def record(con: duckdb.DuckDBPyConnection, decision: Decision, stage: str = "embed") -> None:
    """Append the decision to ``meta.promotions``."""
    with transaction(con):
        con.execute(
            "INSERT INTO meta.promotions (promotion_id, model, run_id, previous_model, primary_metric, value, "
            "previous_value, promoted, status, reasons, decided_at, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                stage,
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


#: language-model stages and the primary metric each is promoted on
LM_STAGES = ("clm", "sft", "dpo", "export")
PERPLEXITY = ("LMValidationPerplexity", "validation", "perplexity")
#: closed-book accuracy: the validation questions of every ``*ClosedBook`` task, pooled
CLOSED_BOOK = ("ClosedBook", "validation", "accuracy")
#: the names the offline pretrained decoder is scored under
LM_BASES = ("smollm2", "smollm2-135m-instruct")


def closed_book_accuracy(scores: dict[tuple[str, str, str], float]) -> float | None:
    """Accuracy over every closed-book task's validation questions together (each task weighted by its questions)."""
    tasks = sorted(
        t for t, split, metric in scores if t.endswith(CLOSED_BOOK[0]) and (split, metric) == CLOSED_BOOK[1:]
    )
    pairs = [(scores[(t, *CLOSED_BOOK[1:])], scores.get((t, CLOSED_BOOK[1], "questions")) or 1.0) for t in tasks]
    pairs = [(accuracy, n) for accuracy, n in pairs if _ok(accuracy)]
    if not pairs:
        return None
    return sum(accuracy * n for accuracy, n in pairs) / sum(n for _, n in pairs)


def stage_primary(stage: str) -> str:
    return ":".join(PERPLEXITY if stage == "clm" else CLOSED_BOOK)


def _stage_value(stage: str, scores: dict[tuple[str, str, str], float]) -> float | None:
    if stage == "clm":
        value = scores.get(PERPLEXITY)
        return value if _ok(value) else None
    return closed_book_accuracy(scores)


def _better(stage: str, new: float, old: float) -> bool:
    return new < old if stage == "clm" else new > old


def _finished_runs(con: duckdb.DuckDBPyConnection, stage: str) -> dict[str, dict[str, Any]]:
    import json

    if not table_exists(con, "meta", "training_runs"):
        return {}
    rows = con.execute(
        "SELECT run_id, base_model, output_path, metrics FROM meta.training_runs "
        "WHERE stage = ? AND status = 'finished'",
        [stage],
    ).fetchall()
    return {r[0]: {"base": r[1], "output_path": r[2], "metrics": json.loads(r[3]) if r[3] else {}} for r in rows}


def start_model(con: duckdb.DuckDBPyConnection, base: str | None) -> str | None:
    """What ``meta.eval_results`` calls the model a run started from: smollm2, a run id, or the folder."""
    from pathlib import Path

    if not base:
        return None
    if base.lower() in LM_BASES:
        return "smollm2"
    rows = con.execute("SELECT run_id, output_path FROM meta.training_runs").fetchall()
    for run_id, output in rows:
        if run_id == base or (output and Path(output).resolve() in (Path(base).resolve(), Path(base).resolve().parent)):
            return run_id
    return base


def decide_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    tolerance: float,
    models: list[str] | None = None,
    min_size_ratio: float = 3.0,
) -> Decision:
    """Judge the best finished run of the language-model ``stage`` against the current one (no writes)."""
    if stage not in LM_STAGES:
        raise EvaluationError(f"stage '{stage}' is not a language-model stage; use one of {', '.join(LM_STAGES)}")
    primary = stage_primary(stage)
    by_model: dict[str, dict[tuple[str, str, str], float]] = {}
    for r in results.latest(con):
        by_model.setdefault(r["model"], {})[(r["task"], r["split"], r["metric"])] = r["value"]
    runs = {run_id: run for run_id, run in _finished_runs(con, stage).items() if not models or run_id in models}
    values = {run_id: _stage_value(stage, by_model.get(run_id, {})) for run_id in runs}
    scored = {run_id: value for run_id, value in values.items() if value is not None}
    if not scored:
        raise EvaluationError(
            f"no finished {stage} run has a score for {primary}: run `riftlab eval --model RUN` on the language-model "
            "tasks first (`riftlab train dpo` and `riftlab export` run them)"
        )
    starts = {run_id: start_model(con, runs[run_id]["base"]) for run_id in scored}
    start_values = {run_id: _stage_value(stage, by_model.get(start or "", {})) for run_id, start in starts.items()}
    if stage == "export":
        return _decide_export(con, scored, starts, start_values, runs, tolerance, min_size_ratio)
    pick = min if stage == "clm" else max
    candidate = pick(sorted(scored), key=lambda m: scored[m])
    value = scored[candidate]
    previous = current_model(con, stage)
    previous_value = _stage_value(stage, by_model.get(previous, {})) if previous else None
    decision = Decision(candidate, candidate, previous, primary, value, previous_value, False, "rejected")
    if previous == candidate:
        decision.status = "unchanged"
        decision.reasons.append(f"the current {stage} model is still the best on {primary} ({value:.4f})")
        return decision
    if previous is None or previous_value is None:
        start, start_value = starts[candidate], start_values[candidate]
        if start_value is None:
            decision.promoted, decision.status = True, "current"
            decision.reasons.append(
                f"no current {stage} model and its start {start} is not scored; best {primary} = {value:.4f}"
            )
            return decision
        decision.previous, decision.previous_value = start, start_value
        judged = f"the model it started from ({start}) at {start_value:.4f}"
    else:
        judged = f"the current {stage} model {previous} at {previous_value:.4f}"
    if _better(stage, value, decision.previous_value):
        decision.promoted, decision.status = True, "current"
        decision.reasons.append(f"{primary} {value:.4f} beats {judged}")
    else:
        decision.reasons.append(f"{primary} {value:.4f} does not beat {judged}")
    return decision


def _decide_export(con, scored, starts, start_values, runs, tolerance: float, min_size_ratio: float) -> Decision:
    """The smallest export whose closed-book accuracy is within ``tolerance`` of its source's at enough compression."""
    primary = stage_primary("export")
    verdicts: dict[str, list[str]] = {}
    eligible = []
    for run_id in sorted(scored):
        metrics = runs[run_id]["metrics"]
        ratio = float(metrics.get("size_ratio") or 0.0)
        source, source_value = starts[run_id], start_values[run_id]
        reasons = verdicts.setdefault(run_id, [])
        if source_value is None:
            reasons.append(
                f"its source {source} has no {primary} score to compare with (`riftlab eval --model {source}`)"
            )
            continue
        drop = source_value - scored[run_id]
        reasons.append(
            f"{primary} {scored[run_id]:.4f} against its source {source} {source_value:.4f} "
            f"({'-' if drop > 0 else '+'}{abs(drop):.4f}, tolerance {tolerance})"
        )
        reasons.append(f"weights {ratio:.2f}x smaller (at least {min_size_ratio} needed)")
        if drop <= tolerance and ratio >= min_size_ratio:
            eligible.append(run_id)

    def weights(run_id: str) -> float:
        return float(runs[run_id]["metrics"].get("weights_bytes") or math.inf)

    pool = eligible or sorted(scored)
    candidate = min(pool, key=lambda m: (weights(m), -scored[m], m)) if eligible else max(pool, key=lambda m: scored[m])
    previous = current_model(con, "export")
    decision = Decision(
        candidate,
        candidate,
        previous or starts[candidate],
        primary,
        scored[candidate],
        start_values[candidate],
        False,
        "rejected",
        list(verdicts[candidate]),
    )
    if not eligible:
        decision.reasons.append("no export keeps its accuracy within the tolerance at that compression")
        return decision
    if previous == candidate:
        decision.status = "unchanged"
        decision.reasons.append("the current export is still the smallest that keeps its accuracy")
        return decision
    if previous is not None and previous in runs and weights(previous) < weights(candidate):
        decision.reasons.append(f"the current export {previous} is smaller")
        return decision
    decision.promoted, decision.status = True, "current"
    decision.reasons.append("kept its accuracy at the smallest size" + (f"; replaces {previous}" if previous else ""))
    return decision


def promote_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    tolerance: float,
    models: list[str] | None = None,
    min_size_ratio: float = 3.0,
) -> Decision:
    decision = decide_stage(con, stage, tolerance, models, min_size_ratio)
    record(con, decision, stage)
    return decision
