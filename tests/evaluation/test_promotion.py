"""`riftlab promote`: the best model becomes current only when it wins without regressions."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

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


def lm_run(project: Project, run_id: str, stage: str, base: str, output: Path, metrics: dict | None = None) -> None:
    """A finished language-model run started from ``base``, as the training package registers it."""
    add_training_run(project, run_id, output, stage=stage, metrics=json.dumps(metrics or {}))
    con = project.connect()
    try:
        con.execute("UPDATE meta.training_runs SET base_model = ? WHERE run_id = ?", [base, run_id])
    finally:
        con.close()


def closed_book(project: Project, model: str, position: float, resource: float, run_id: str | None = None) -> None:
    """Closed-book accuracy on two tasks with 30 and 10 validation questions."""
    insert_scores(
        project,
        model,
        [
            ("ChampionPositionClosedBook", "validation", "accuracy", position),
            ("ChampionPositionClosedBook", "validation", "questions", 30.0),
            ("ChampionResourceClosedBook", "validation", "accuracy", resource),
            ("ChampionResourceClosedBook", "validation", "questions", 10.0),
            ("ChampionResourceClosedBook", "all", "accuracy", 0.99),  # not the validation questions: no say
        ],
        run_id=run_id,
    )


def test_language_model_stages_are_promoted_each_on_its_own_metric(eval_project: Project, tmp_path):
    closed_book(eval_project, "smollm2", 0.40, 0.80)  # pooled: (0.4 * 30 + 0.8 * 10) / 40 = 0.5
    insert_scores(eval_project, "smollm2", [("LMValidationPerplexity", "validation", "perplexity", 12.0)])
    lm_run(eval_project, "clm-a", "clm", "smollm2", tmp_path / "clm-a")
    insert_scores(eval_project, "clm-a", [("LMValidationPerplexity", "validation", "perplexity", 9.5)], run_id="clm-a")
    lm_run(eval_project, "sft-a", "sft", "smollm2", tmp_path / "sft-a")
    closed_book(eval_project, "sft-a", 0.50, 0.80, run_id="sft-a")  # 0.575
    lm_run(eval_project, "dpo-a", "dpo", str(tmp_path / "sft-a"), tmp_path / "dpo-a")
    closed_book(eval_project, "dpo-a", 0.50, 0.70, run_id="dpo-a")  # 0.55: worse than its start

    out = run(eval_project, "--stage", "clm")
    assert "[clm] clm-a promoted" in out and "perplexity 9.5000 beats the model it started from (smollm2)" in out
    out = run(eval_project, "--stage", "sft")
    assert "sft-a promoted" in out and "ClosedBook:validation:accuracy 0.5750 beats the model it started from" in out
    out = run(eval_project, "--stage", "dpo")
    assert "dpo-a not promoted" in out and "0.5500 does not beat the model it started from (sft-a) at 0.5750" in out

    # a second dpo run that beats its start is promoted; then a worse one is judged against it
    lm_run(eval_project, "dpo-b", "dpo", str(tmp_path / "sft-a" / "merged"), tmp_path / "dpo-b")
    closed_book(eval_project, "dpo-b", 0.60, 0.80, run_id="dpo-b")  # 0.65
    assert "dpo-b promoted" in run(eval_project, "--stage", "dpo")
    assert "the current dpo model is still the best" in run(eval_project, "--stage", "dpo")

    # each stage has its own current model: the embedder's promotion starts from none
    score(eval_project, "minilm", 0.40, 0.50)
    out = run(eval_project)
    assert "minilm promoted" in out and "no current model" in out
    con = eval_project.connect(read_only=True)
    try:
        current = con.execute(
            "SELECT coalesce(stage, 'embed'), arg_max(model, decided_at) FROM meta.promotions WHERE promoted GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    assert dict(current) == {"clm": "clm-a", "sft": "sft-a", "dpo": "dpo-b", "embed": "minilm"}


def test_an_export_is_promoted_when_it_keeps_its_accuracy_at_a_fraction_of_the_size(eval_project: Project, tmp_path):
    lm_run(eval_project, "dpo-a", "dpo", "smollm2", tmp_path / "dpo-a")
    closed_book(eval_project, "dpo-a", 0.60, 0.80, run_id="dpo-a")  # 0.65
    # int4: 6x smaller but 0.05 worse; int8: 3.3x smaller, 0.01 worse (tolerance 0.02)
    size = {"source_weights_bytes": 538_000_000}
    lm_run(eval_project, "export-int4", "export", str(tmp_path / "dpo-a"), tmp_path / "e4",
           {**size, "weights_bytes": 90_000_000, "size_ratio": 5.98})  # fmt: skip
    closed_book(eval_project, "export-int4", 0.55, 0.80, run_id="export-int4")  # 0.6125
    lm_run(eval_project, "export-int8", "export", str(tmp_path / "dpo-a"), tmp_path / "e8",
           {**size, "weights_bytes": 163_000_000, "size_ratio": 3.3})  # fmt: skip
    closed_book(eval_project, "export-int8", 0.60, 0.76, run_id="export-int8")  # 0.64

    out = run(eval_project, "--stage", "export")
    assert "export-int8 promoted" in out and "0.6400 against its source dpo-a 0.6500 (-0.0100" in out
    assert "weights 3.30x smaller" in out
    # demanding 4x: int8 is not small enough, int4 not accurate enough
    out = run(eval_project, "--stage", "export", "--min-size-ratio", "4", "--model", "export-int4")
    assert "export-int4 not promoted" in out and "no export keeps its accuracy" in out
    # a looser tolerance lets the smaller int4 replace int8
    out = run(eval_project, "--stage", "export", "--tolerance", "0.05")
    assert "export-int4 promoted" in out and "replaces export-int8" in out


def test_a_language_model_stage_without_scores_is_a_clear_error(eval_project: Project, tmp_path):
    lm_run(eval_project, "dpo-a", "dpo", "smollm2", tmp_path / "dpo-a")
    with pytest.raises(EvaluationError, match=r"no finished dpo run has a score for ClosedBook:validation:accuracy"):
        CliRunner().invoke(promote, ["--project-dir", str(eval_project.root), "--stage", "dpo"], catch_exceptions=False)
