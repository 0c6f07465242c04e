"""`riftlab promote`: the best model becomes current only when it wins without regressions."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner

from evaluation.errors import EvaluationError
from riftlab.commands.evaluate import promote
from tests.evaluation.projects import add_training_run
from warehouse.project import Project

PRIMARY = ("ChampionSubclassClustering", "heldout", "v_measure")
OTHER = ("ChampionKitRetrieval", "heldout", "ndcg_at_10")


def insert_scores(
    project: Project,
    model: str,
    rows: list[tuple[str, str, str, float]],
    when: str = "2026-01-01 10:00:00",
    run_id: str | None = None,
) -> None:
    """Main-metric rows (task, split, metric, value) of ``model`` (of run ``run_id``, if given) in meta.eval_results."""
    con = project.connect()
    try:
        con.executemany(
            "INSERT INTO meta.eval_results VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, 'snap')",
            [[model, run_id, *row, datetime.fromisoformat(when)] for row in rows],
        )
    finally:
        con.close()


def score(
    project: Project,
    model: str,
    primary: float,
    other: float,
    when: str = "2026-01-01 10:00:00",
    run_id: str | None = None,
) -> None:
    insert_scores(project, model, [(*PRIMARY, primary), (*OTHER, other)], when, run_id)


def run(project: Project, *args: str) -> str:
    result = CliRunner().invoke(promote, ["--project-dir", str(project.root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def decisions(project: Project):
    con = project.connect(read_only=True)
    try:
        return con.execute(
            "SELECT model, previous_model, promoted, status, reasons FROM meta.promotions ORDER BY decided_at"
        ).fetchall()
    finally:
        con.close()


def test_promotion_requires_a_win_without_regressions(eval_project: Project):
    score(eval_project, "minilm", 0.40, 0.50)
    assert "minilm promoted" in run(eval_project)

    # better on the primary metric, but retrieval drops by 0.10 > tolerance 0.02: refused
    score(eval_project, "embed-a", 0.60, 0.40)
    out = run(eval_project)
    assert "embed-a not promoted" in out and "ChampionKitRetrieval:heldout:ndcg_at_10 drops 0.5000 -> 0.4000" in out

    # a looser tolerance accepts the same candidate
    out = run(eval_project, "--tolerance", "0.2")
    assert "embed-a promoted" in out and "beats the current 0.4000" in out

    # a worse model does not replace the current one, whichever is best
    score(eval_project, "embed-b", 0.55, 0.90)
    assert "already current" in run(eval_project)
    out = run(eval_project, "--model", "embed-b", "--model", "minilm")
    assert "embed-b not promoted" in out and "does not beat the current 0.6000" in out

    rows = decisions(eval_project)
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("minilm", True, "current"),
        ("embed-a", False, "rejected"),
        ("embed-a", True, "current"),
        ("embed-a", False, "unchanged"),
        ("embed-b", False, "rejected"),
    ]
    assert rows[2][1] == "minilm" and all(r[4] for r in rows)


def test_promotion_without_scores_for_the_primary_metric_is_a_clear_error(eval_project: Project):
    with pytest.raises(EvaluationError, match=r"no model has a score for ChampionSubclassClustering:heldout:v_measure"):
        CliRunner().invoke(promote, ["--project-dir", str(eval_project.root)], catch_exceptions=False)


def test_bad_primary_metric_is_a_clear_error(eval_project: Project):
    with pytest.raises(EvaluationError, match=r"must be TASK:SPLIT:METRIC, got 'v_measure'"):
        CliRunner().invoke(
            promote, ["--project-dir", str(eval_project.root), "--primary", "v_measure"], catch_exceptions=False
        )


def test_diagnostic_splits_are_shown_but_are_no_promotion_gate(eval_project: Project):
    triplets = "ChampionTripletAccuracy"
    insert_scores(
        eval_project,
        "minilm",
        [
            (*PRIMARY, 0.40),
            (triplets, "validation", "accuracy", 0.70),
            (triplets, "validation_texts", "accuracy", 0.93),
        ],
    )
    run(eval_project)
    # validation_texts (a part of 'validation' the task declares diagnostic) drops by 0.10: no veto
    insert_scores(
        eval_project,
        "embed-a",
        [
            (*PRIMARY, 0.50),
            (triplets, "validation", "accuracy", 0.80),
            (triplets, "validation_texts", "accuracy", 0.83),
        ],
    )
    out = run(eval_project)
    assert "embed-a promoted" in out and "validation_texts" not in out
    # the same drop on the gating 'validation' split is a veto
    insert_scores(
        eval_project,
        "embed-b",
        [
            (*PRIMARY, 0.60),
            (triplets, "validation", "accuracy", 0.70),
            (triplets, "validation_texts", "accuracy", 0.83),
        ],
    )
    out = run(eval_project)
    assert "embed-b not promoted" in out and "ChampionTripletAccuracy:validation:accuracy drops 0.8000 -> 0.7000" in out


def test_a_training_run_whose_row_is_not_finished_is_never_promoted(eval_project: Project, tmp_path):
    """Row 7 of issue 14: a run still 'running' (its end never recorded) was promoted."""
    for run_id, status in (("embed-live", "running"), ("embed-broken", "failed")):
        add_training_run(eval_project, run_id, tmp_path / run_id, status=status)
        score(eval_project, run_id, 0.90, 0.90, run_id=run_id)
    with pytest.raises(
        EvaluationError,
        match=r"not finished: embed-broken \(training run failed\), embed-live \(training run running\)",
    ):
        CliRunner().invoke(promote, ["--project-dir", str(eval_project.root)], catch_exceptions=False)

    score(eval_project, "minilm", 0.40, 0.50)
    out = run(eval_project)
    assert "minilm promoted" in out and "their training runs are not finished: embed-broken" in out

    add_training_run(eval_project, "embed-done", tmp_path / "embed-done")
    score(eval_project, "embed-done", 0.60, 0.50, run_id="embed-done")
    assert "embed-done promoted" in run(eval_project)
    assert [row[0] for row in decisions(eval_project) if row[2]] == ["minilm", "embed-done"]
