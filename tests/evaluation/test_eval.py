"""`riftlab eval` on a 16-champion warehouse with the real offline MiniLM (CPU)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from evaluation import definitions, models, runner
from evaluation.errors import EvaluationError
from evaluation.mteb_tasks import build_task
from riftlab.commands.evaluate import eval_command
from tests.evaluation.projects import (
    CHAMPIONS,
    KITS,
    TEXT_TRIPLETS,
    TRIPLETS,
    add_training_run,
    make_eval_project,
)
from training.bases import minilm_path
from warehouse.project import Project

#: the embedding tasks (minilm runs these; the language-model ones are tests/evaluation/test_lm_tasks.py's)
TASKS = {n: s for n, s in definitions.load_specs(definitions.BUILTIN_TASKS_DIR).items() if s.family == "embedding"}


def _rows(project: Project, sql: str, params=()):
    con = project.connect(read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _minilm():
    return models.load(models.resolve("minilm", None))


def test_every_task_and_split_is_scored_in_the_warehouse_and_in_mteb_json(evaluated_project: Project):
    rows = _rows(
        evaluated_project,
        "SELECT task, split, metric, value, is_main, run_id, data_snapshot_id FROM meta.eval_results "
        "WHERE model = 'minilm'",
    )
    scored = {(task, split) for task, split, *_ in rows}
    for spec in TASKS.values():
        for split in spec.splits:
            assert (spec.name, split) in scored, (spec.name, split)
    for task, split, metric, value, is_main, run_id, snapshot in rows:
        low = -1.0 if metric == "ami" else 0.0  # adjusted for chance: below 0 when worse than chance
        assert low <= value <= 1.0, (task, split, metric, value)
        assert is_main == (metric == TASKS[task].main_metric)
        assert run_id is None and len(snapshot) == 16
    folder = evaluated_project.root / "results" / "results" / "riftlab__minilm"
    files = {p.stem: p for p in folder.rglob("*.json")}
    for name in TASKS:
        assert name in files, f"no mteb result JSON for {name}"
    payload = json.loads(files["ChampionSubclassClustering"].read_text())
    stored = dict(((s, m), v) for t, s, m, v, *_ in rows if t == "ChampionSubclassClustering")
    assert payload["scores"]["heldout"][0]["v_measure"] == pytest.approx(stored[("heldout", "v_measure")])
    assert {("heldout", "ami"), ("heldout", "chance_v_measure")} <= set(stored)


def test_neighbour_rate_is_the_5nn_same_subclass_share_on_heldout_names(evaluated_project: Project):
    heldout = [(name, subclasses[0]) for _, name, _, _, _, subclasses, split in sorted(CHAMPIONS) if split == "heldout"]
    embeddings = _minilm().encode([n for n, _ in heldout], normalize_embeddings=True)
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, -np.inf)
    hits = [
        sum(heldout[j][1] == label for j in np.argsort(-similarity[i])[:5]) / 5 for i, (_, label) in enumerate(heldout)
    ]
    (stored,) = _rows(
        evaluated_project,
        "SELECT value FROM meta.eval_results "
        "WHERE task = 'ChampionSubclassNeighbours' AND split = 'heldout' AND metric = 'same_label_at_5'",
    )[0]
    assert stored == pytest.approx(float(np.mean(hits)))


def test_triplet_accuracy_is_share_of_anchor_closer_to_positive_overall_and_by_kind(evaluated_project: Project):
    model = _minilm()

    def accuracy(triplets) -> float:
        correct = 0
        for anchor, positive, negative in triplets:
            a, p, n = model.encode([anchor, positive, negative], normalize_embeddings=True)
            correct += float(a @ p) > float(a @ n)
        return correct / len(triplets)

    names = [(a, p, n) for a, p, n, split in TRIPLETS if split == "validation"]
    texts = [(a, KITS[p][0], KITS[n][0]) for a, p, n, split in TEXT_TRIPLETS if split == "validation"]
    stored = dict(
        _rows(
            evaluated_project,
            "SELECT split, value FROM meta.eval_results WHERE task = 'ChampionTripletAccuracy' AND metric = 'accuracy'",
        )
    )
    assert stored["validation"] == pytest.approx(accuracy(names + texts))
    assert stored["validation_names"] == pytest.approx(accuracy(names))
    assert stored["validation_texts"] == pytest.approx(accuracy(texts))

    # each kind's split holds exactly that kind's validation triplets
    con = evaluated_project.connect(read_only=True)
    try:
        data = definitions.load_task_data(con, TASKS["ChampionTripletAccuracy"])
    finally:
        con.close()
    anchors = {
        split: sorted(row["anchor"] for row in data.splits[split]["rows"])
        for split in ("validation_names", "validation_texts")
    }
    assert anchors == {
        "validation_names": sorted(a for a, *_ in names),
        "validation_texts": sorted(a for a, *_ in texts),
    }


def test_a_triplet_table_of_one_kind_skips_the_other_kinds_split(tmp_path: Path):
    project = make_eval_project(tmp_path / "project", text_triplets=[])
    con = project.connect(read_only=True)
    try:
        data = definitions.load_task_data(con, TASKS["ChampionTripletAccuracy"])
    finally:
        con.close()
    assert "validation_texts" in data.skipped_splits and "validation_texts" not in data.splits
    assert len(data.splits["validation_names"]["rows"]) == len(data.splits["validation"]["rows"]) == 5


def test_retrieval_queries_are_masked_and_heldout_queries_search_all_names(evaluated_project: Project):
    con = evaluated_project.connect(read_only=True)
    try:
        spec = dataclasses.replace(
            TASKS["ChampionKitRetrieval"], mask_token=evaluated_project.config["vars"]["mask_token"]
        )
        data = definitions.load_task_data(con, spec)
    finally:
        con.close()
    task = build_task(data)
    heldout = task.dataset["default"]["heldout"]
    assert len(heldout["corpus"]) == len(CHAMPIONS)
    heldout_keys = {key for key, *_, split in CHAMPIONS if split == "heldout"}
    assert {next(iter(v)) for v in heldout["relevant_docs"].values()} == heldout_keys
    texts = " ".join(task.dataset["default"]["all"]["queries"]["text"])
    for key, name, *_ in CHAMPIONS:
        assert name.lower() not in texts.lower().replace("this champion", ""), name
        for ability in KITS[key][1]:
            assert ability.lower() not in texts.lower(), ability
    assert "this champion" in texts


def test_rerun_is_skipped_and_force_reruns(evaluated_project: Project):
    before = _rows(evaluated_project, "SELECT count(*), max(evaluated_at) FROM meta.eval_results")[0]
    summary = runner.evaluate(evaluated_project, ["minilm"], ["ChampionClassClustering", "ChampionTripletAccuracy"])
    assert summary.evaluated == [] and len(summary.skipped) == 2
    assert _rows(evaluated_project, "SELECT count(*), max(evaluated_at) FROM meta.eval_results")[0] == before
    summary = runner.evaluate(evaluated_project, ["minilm"], ["ChampionClassClustering"], force=True)
    assert summary.evaluated == [("minilm", "ChampionClassClustering")]
    count, latest = _rows(evaluated_project, "SELECT count(*), max(evaluated_at) FROM meta.eval_results")[0]
    assert count == before[0] and latest > before[1]


def test_changed_data_is_a_new_snapshot_and_is_evaluated(evaluated_project: Project, tmp_path: Path):
    con = evaluated_project.connect()
    try:
        con.execute("UPDATE main.champions SET classes = ['Tank'] WHERE champion_key = 'Annie'")
    finally:
        con.close()
    try:
        summary = runner.evaluate(evaluated_project, ["minilm"], ["ChampionClassClustering"])
        assert summary.evaluated == [("minilm", "ChampionClassClustering")]
        snapshots = _rows(
            evaluated_project,
            "SELECT DISTINCT data_snapshot_id FROM meta.eval_results WHERE task = 'ChampionClassClustering'",
        )
        assert len(snapshots) == 2
    finally:
        con = evaluated_project.connect()
        con.execute("UPDATE main.champions SET classes = ['Mage'] WHERE champion_key = 'Annie'")
        con.close()


def _invoke(project: Project, *args: str):
    return CliRunner().invoke(eval_command, ["--project-dir", str(project.root), *args])


def test_unknown_task_is_a_clear_error(eval_project: Project):
    result = _invoke(eval_project, "--model", "minilm", "--tasks", "ChampionSubclassClustering,NoSuchTask")
    assert isinstance(result.exception, EvaluationError)
    assert "unknown task 'NoSuchTask'" in str(result.exception)


def test_a_folder_that_is_not_a_model_is_a_clear_error(eval_project: Project, tmp_path: Path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("not weights")
    result = _invoke(eval_project, "--model", str(folder))
    assert isinstance(result.exception, EvaluationError)
    assert f"{folder} is not a model" in str(result.exception)


def test_unknown_run_id_is_a_clear_error(eval_project: Project):
    result = _invoke(eval_project, "--model", "run-that-never-was")
    assert isinstance(result.exception, EvaluationError)
    assert "not a run id in meta.training_runs" in str(result.exception)


def test_run_id_resolves_to_its_output_path(eval_project: Project):
    add_training_run(eval_project, "embed-1", minilm_path())
    con = eval_project.connect(read_only=True)
    try:
        ref = models.resolve("embed-1", con)
        by_path = models.resolve(str(minilm_path()), con)
    finally:
        con.close()
    assert ref.run_id == "embed-1" and ref.path == minilm_path()
    assert by_path.run_id == "embed-1" and by_path.model == "embed-1"


def test_missing_tables_name_the_build_target(tmp_path: Path):
    root = tmp_path / "bare"
    root.mkdir()
    (root / "riftlab.yaml").write_text("name: bare\n")
    project = Project.load(root)
    project.connect().close()
    result = CliRunner().invoke(
        eval_command, ["--project-dir", str(root), "--model", "minilm", "--tasks", "ChampionKitRetrieval"]
    )
    assert isinstance(result.exception, EvaluationError)
    assert "needs the table main.champions" in str(result.exception)
    assert "`riftlab build --select champions` makes it" in str(result.exception)


def test_empty_heldout_set_is_a_clear_error(tmp_path: Path):
    project = make_eval_project(tmp_path / "noheldout", champions=[(*c[:6], "train") for c in CHAMPIONS])
    result = CliRunner().invoke(
        eval_command, ["--project-dir", str(project.root), "--model", "minilm", "--tasks", "ChampionSubclassClustering"]
    )
    assert isinstance(result.exception, EvaluationError)
    message = str(result.exception)
    assert "the 'heldout' split is too small to score" in message and "embedding_split='heldout'" in message


def test_a_changed_parameter_or_metric_list_is_new_data_so_old_scores_are_not_reused(evaluated_project: Project):
    from dataclasses import replace

    spec = TASKS["ChampionSubclassClustering"]
    con = evaluated_project.connect(read_only=True)
    try:
        same = definitions.load_task_data(con, spec).snapshot_id
        assert definitions.load_task_data(con, spec).snapshot_id == same
        fewer_metrics = definitions.load_task_data(con, replace(spec, metrics=("v_measure",))).snapshot_id
        other_restarts = definitions.load_task_data(
            con, replace(spec, params={**spec.params, "restarts": 3})
        ).snapshot_id
    finally:
        con.close()
    assert len({same, fewer_metrics, other_restarts}) == 3
