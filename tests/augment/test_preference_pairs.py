"""main.preference_pairs: rule-based (prompt, chosen, rejected) rows from the champion facts, for DPO."""

from __future__ import annotations

import shutil

import pytest

from tests.augment.project import REPO, STUB_MODELS, rows
from warehouse.project import Project

# main.int_champion_facts rows the pairs read beside main.champions (positions and classes come from there)
FACTS = [
    ("Aatrox", "position", "Top"),
    ("Aatrox", "resource", "BLOOD_WELL"),
    ("Aatrox", "attack_type", "MELEE"),
    ("Ahri", "position", "Middle"),
    ("Ahri", "resource", "MANA"),
    ("Ahri", "attack_type", "RANGED"),
    ("Thresh", "position", "Support"),
    ("Thresh", "resource", "MANA"),
    ("Thresh", "attack_type", "RANGED"),
    ("MonkeyKing", "position", "Top"),
    ("MonkeyKing", "position", "Jungle"),
    ("MonkeyKing", "resource", "MANA"),
    ("MonkeyKing", "attack_type", "MELEE"),
]


@pytest.fixture
def pairs_project(project: Project) -> Project:
    from warehouse.runner.build import build

    with (project.root / "riftlab.yaml").open("a", encoding="utf-8") as config:
        config.write("vars:\n  preference_min_holders: 2\n")  # four champions: a value two share is plausible
    project = Project.load(project.root, project.db_path)
    models = project.transforms_dir / "models"
    shutil.copytree(REPO / "transforms" / "models" / "augment", models / "augment")
    stubs = {**STUB_MODELS, "int_champion_facts.sql": "select * from {{ source('raw', 'fixture_facts') }}\n"}
    for name, sql in stubs.items():
        (models / name).write_text(sql, encoding="utf-8")
    con = project.connect()
    con.execute("CREATE TABLE raw.fixture_champions AS SELECT * FROM main.champions")
    con.execute("CREATE TABLE raw.fixture_corpus_chunks AS SELECT * FROM main.corpus_chunks")
    con.execute(
        "CREATE TABLE raw.fixture_facts (champion_key VARCHAR, fact_type VARCHAR, value VARCHAR, chosen BOOLEAN)"
    )
    con.executemany("INSERT INTO raw.fixture_facts VALUES (?, ?, ?, true)", FACTS)
    con.execute("DROP TABLE main.champions")
    con.execute("DROP TABLE main.corpus_chunks")
    con.close()
    results = build(project, ("+preference_pairs",))
    assert [(r.name, r.error) for r in results if r.status != "success"] == []
    return project


def test_pairs_pit_the_true_fact_against_another_champions_value(pairs_project):
    got = {
        (champion, fact): (prompt, chosen, rejected, source, split)
        for champion, fact, prompt, chosen, rejected, source, split in rows(
            pairs_project, "SELECT champion, fact, prompt, chosen, rejected, source, split FROM main.preference_pairs"
        )
    }
    # the only position two champions share is Top: every other champion's wrong position
    assert got[("Ahri", "position")][:3] == (
        "Which position is Ahri played in?",
        "Ahri is played in the middle lane.",
        "Ahri is played in the top lane.",
    )
    # Wukong plays Top (and Jungle): no plausible wrong position is left, so no position pair
    assert ("MonkeyKing", "position") not in got
    assert got[("Aatrox", "resource")][1:3] == ("Aatrox uses blood well.", "Aatrox uses mana.")
    assert got[("Aatrox", "attack_type")][1:4] == (
        "Aatrox is a melee champion.",
        "Aatrox is a ranged champion.",
        "rules:attack_type (wrong: RANGED)",
    )
    # a one-off value is no plausible wrong answer: mana users get no resource pair (blood well is one-off)
    assert ("Ahri", "resource") not in got
    # every class is held by one champion only except Fighter: the others' wrong class is Fighter
    assert got[("Ahri", "class")][2] == "Ahri is a Fighter champion."
    assert all(chosen != rejected for _, chosen, rejected, *_ in got.values())


def test_heldout_champions_never_become_training_pairs(pairs_project):
    splits = dict(rows(pairs_project, "SELECT DISTINCT champion, split FROM main.preference_pairs"))
    # Thresh's chunks are in the corpus validation split; Wukong is held out of embedding training
    assert splits == {"Aatrox": "train", "Ahri": "train", "Thresh": "validation", "MonkeyKing": "validation"}


def test_the_llm_judges_two_answers_into_a_pair_and_a_heldout_champion_stays_out_of_training(pairs_project, api):
    from datetime import datetime

    from tests.augment.project import build_models, run

    candidates = [
        # (id, question, answer a, answer b, champion): the fake judge prefers the answer that names a lane
        ("c1", "Which position is Ahri played in?", "Ahri is a fox.", "Ahri is played in the middle lane.", "Ahri"),
        ("c2", "Which position is Aatrox played in?", "Aatrox is played in the top lane.", "Aatrox jumps.", "Aatrox"),
        # Thresh is in the corpus validation split: were he ever asked, his pair would not train
        ("c3", "Which position is Thresh played in?", "Thresh hooks.", "Thresh is played in the bot lane.", "Thresh"),
    ]
    con = pairs_project.connect()
    try:
        con.executemany(
            "INSERT INTO raw.preference_candidates VALUES (?, ?, ?, ?, ?, 'train', 'sft-x', ?)",
            [[*c, datetime(2026, 1, 1)] for c in candidates],
        )
    finally:
        con.close()
    report = run(pairs_project, "preference-judge")
    assert report.stats.sent == 3
    assert run(pairs_project, "preference-judge").stats.sent == 0  # cached: never paid twice
    build_models(pairs_project)
    judged = rows(
        pairs_project,
        "SELECT champion, prompt, chosen, rejected, source, split FROM main.preference_pairs "
        "WHERE source LIKE 'llm-judge:%' ORDER BY champion",
    )
    assert [(c, chosen, rejected, split) for c, _, chosen, rejected, _, split in judged] == [
        ("Aatrox", "Aatrox is played in the top lane.", "Aatrox jumps.", "train"),
        ("Ahri", "Ahri is played in the middle lane.", "Ahri is a fox.", "train"),
        ("Thresh", "Thresh is played in the bot lane.", "Thresh hooks.", "validation"),
    ]
    assert judged[0][4].endswith("(a: it names the right lane)")
    assert judged[1][4].endswith("(b: it names the right lane)")
