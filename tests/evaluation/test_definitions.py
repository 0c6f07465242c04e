"""Task YAML files: the shipped ones load, bad ones fail with one line naming the file and key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation import definitions
from evaluation.errors import EvaluationError
from evaluation.mteb_tasks import knn_same_label_rate, restarted_clustering
from warehouse.sql_functions.text import mask_terms

EXPECTED = {
    "ChampionSubclassClustering",
    "ChampionPositionClustering",
    "ChampionClassClustering",
    "ChampionKitRetrieval",
    "ChampionSimilarityPairClassification",
    "ChampionTripletAccuracy",
    "ChampionSubclassNeighbours",
    "ChampionPositionNeighbours",
}
#: the language-model tasks (evaluation/lm_tasks.py): scored on validation text and unasked champions
LM_EXPECTED = {
    "LMValidationPerplexity",
    "ChampionPositionClosedBook",
    "ChampionClassClosedBook",
    "ChampionResourceClosedBook",
    "ChampionAttackTypeClosedBook",
}


def test_shipped_tasks_load_and_each_has_a_heldout_variant():
    specs = definitions.load_specs(definitions.BUILTIN_TASKS_DIR)
    assert set(specs) == EXPECTED | LM_EXPECTED
    assert {name for name, spec in specs.items() if spec.family == "lm"} == LM_EXPECTED
    for spec in specs.values():
        assert "heldout" in spec.splits or spec.family == "lm", spec.name
        assert all(path.is_file() for path in spec.sql.values())
        assert spec.needs, f"{spec.name} should say which tables it reads"


def test_adding_a_task_is_adding_a_file(tmp_path: Path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "names.sql").write_text(
        "SELECT name AS text, classes[1] AS label FROM {{ ref('champions') }} "
        "WHERE {{ sql_string(var('split')) }} = 'all'\n"
    )
    (tmp_path / "MyTask.yml").write_text(
        "name: MyTask\nkind: clustering\nsql: sql/names.sql\nsplits: [all]\nmetrics: [v_measure]\n"
    )
    specs = definitions.load_specs(tmp_path)
    assert list(specs) == ["MyTask"]
    assert specs["MyTask"].main_metric == "v_measure"
    # the tables it needs are its refs, each with the runner's command that builds it
    assert specs["MyTask"].needs == {"main.champions": "riftlab build --select champions"}


def test_task_sql_reads_its_params_and_split_through_var(tmp_path: Path):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "pairs.sql").write_text(
        "SELECT {{ sql_string(var('split')) }} AS text1, {{ sql_string(var('other')) }} AS text2, "
        "{{ var('label') }} AS label FROM {{ ref('triplets') }}\n"
    )
    (tmp_path / "Pairs.yml").write_text(
        "name: Pairs\nkind: pair_classification\nsql: sql/pairs.sql\nsplits: [dev]\nmetrics: [max_ap]\n"
        "params:\n  other: it's\n  label: 1\n"
    )
    spec = definitions.load_specs(tmp_path)["Pairs"]
    sql, _ = definitions.render_sql(spec, "rows", "dev")
    assert "'dev' AS text1, 'it''s' AS text2, 1 AS label FROM main.\"triplets\"" in sql

    # a var the task does not set fails when the task loads, naming the task and the SQL file
    (tmp_path / "Pairs.yml").write_text((tmp_path / "Pairs.yml").read_text().replace("  label: 1\n", ""))
    with pytest.raises(EvaluationError, match=r"task Pairs: .*pairs\.sql:1: var\('label'\)"):
        definitions.load_specs(tmp_path)


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "name: X\nkind: clustering\nsql: sql/names.sql\nsplits: [all]\nmetrics: [v_measure]\nsplit: [all]\n",
            "unknown key(s) split",
        ),
        (
            "name: X\nkind: clusters\nsql: sql/names.sql\nsplits: [all]\nmetrics: [v_measure]\n",
            "unknown kind 'clusters'",
        ),
        (
            "name: X\nkind: clustering\nsql: sql/missing.sql\nsplits: [all]\nmetrics: [v_measure]\n",
            "sql file sql/missing.sql not found",
        ),
        (
            "name: X\nkind: retrieval\nsql: sql/names.sql\nsplits: [all]\nmetrics: [ndcg_at_10]\n",
            "needs sql part(s) queries, corpus",
        ),
        ("name: X\nkind: clustering\nsql: sql/names.sql\nsplits: [all]\n", "missing 'metrics'"),
        (
            "name: X\nkind: clustering\nsql: sql/names.sql\nsplits: [all]\nmetrics: [v_measure]\n"
            "diagnostic_splits: [al]\n",
            "diagnostic_splits names split(s) not in splits: al",
        ),
    ],
)
def test_bad_task_files_name_the_problem(tmp_path: Path, body: str, message: str):
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "names.sql").write_text("SELECT 1\n")
    (tmp_path / "X.yml").write_text(body)
    with pytest.raises(EvaluationError) as info:
        definitions.load_specs(tmp_path)
    assert message in str(info.value)
    assert "X.yml" in str(info.value)


def test_unknown_task_name_suggests_the_closest():
    specs = definitions.load_specs(definitions.BUILTIN_TASKS_DIR)
    with pytest.raises(
        EvaluationError,
        match=r"unknown task 'ChampionSubclasClustering' \(did you mean 'ChampionSubclassClustering'\?\)",
    ):
        definitions.select(specs, ["ChampionSubclasClustering"])


def test_mask_hides_names_and_abilities_whole_words_any_case():
    text = "Ahri's Orb of Deception returns; AHRI then uses Spirit Rush. Ahrimanes is another word."
    masked = mask_terms(text, ["Ahri", "Orb of Deception", "Spirit Rush"], "[X]")
    assert masked == "[X]'s [X] returns; [X] then uses [X]. Ahrimanes is another word."


def test_knn_same_label_rate_and_chance():
    # Two tight groups of two on a line: each point's nearest other point shares its label.
    embeddings = np.array([[1.0, 0.0], [0.99, 0.05], [0.0, 1.0], [0.05, 0.99]])
    rate, chance = knn_same_label_rate(embeddings, ["a", "a", "b", "b"], k=1)
    assert rate == 1.0
    assert chance == pytest.approx(1 / 3)
    rate, _ = knn_same_label_rate(embeddings, ["a", "b", "a", "b"], k=1)
    assert rate == 0.0
    # k larger than the others available is capped at n - 1
    rate, _ = knn_same_label_rate(embeddings, ["a", "a", "b", "b"], k=10)
    assert rate == pytest.approx(1 / 3)


def test_clustering_is_scored_over_seeded_restarts_against_chance():
    rng = np.random.default_rng(0)
    centres = np.array([[8.0, 0.0], [0.0, 8.0], [-8.0, 0.0]])
    labels = [str(i) for i in range(3) for _ in range(10)]
    separated = np.repeat(centres, 10, axis=0) + rng.normal(0, 0.3, (30, 2))
    scores = restarted_clustering(separated, labels, restarts=5)
    assert scores["v_measure"] == pytest.approx(1.0) and scores["v_measure_std"] == pytest.approx(0.0)
    assert scores["ami"] == pytest.approx(1.0) and scores["chance_v_measure"] < 0.3

    # Structureless points: k-means splits them differently on each initialisation, and the score is
    # the mean of those runs, with their spread; AMI sits near 0, V-measure near its chance level.
    noise = rng.normal(0, 1, (30, 2))
    scores = restarted_clustering(noise, labels, restarts=20)
    assert scores["v_measure_std"] > 0 and scores["v_measure"] < 0.3 and abs(scores["ami"]) < 0.1
    assert abs(scores["v_measure"] - scores["chance_v_measure"]) < 0.1
    assert restarted_clustering(noise, labels, restarts=20) == scores  # seeded: repeatable
    assert restarted_clustering(separated, ["x"] * 30, restarts=3)["v_measure"] == 1.0  # one label: trivially perfect

    # Many small labels over few points: V-measure is high for structureless vectors, AMI is not.
    small = [str(i % 13) for i in range(37)]
    scores = restarted_clustering(rng.normal(0, 1, (37, 16)), small, restarts=10)
    assert scores["v_measure"] > 0.4 and scores["chance_v_measure"] > 0.4 and abs(scores["ami"]) < 0.1
