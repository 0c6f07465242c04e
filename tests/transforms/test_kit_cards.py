"""Kit cards (issue 17): passages written from non-label facts, in the corpus like any document.

The bundled Meraki and Data Dragon fixture sites are crawled (their champions carry attackType,
adaptiveType, resource, attributeRatings and Data Dragon ``info``) and built once; the guard tests
read the rule file and the champions model.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.runner.rules import load_rule_file

#: the fact types main.champions turns into labels (positions, subclasses -> classes, Data Dragon tags)
LABEL_FACTS = {"position", "subclass", "tag"}


def _riftlab(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "--project-dir", str(root), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _kit_rules(root: Path) -> dict:
    return load_rule_file(root / "transforms" / "rules" / "kit_cards.yml", "kit_cards.yml")


def test_label_facts_are_the_ones_champions_turns_into_labels(repo_root):
    """If champions.sql starts reading another fact type as a label, LABEL_FACTS must learn it first."""
    sql = (repo_root / "transforms" / "models" / "champions" / "champions.sql").read_text(encoding="utf-8")
    read = set(re.findall(r"fact_type = '(\w+)'", sql))
    assert read - {"name", "title"} == LABEL_FACTS


def test_no_label_field_is_allowed_into_kit_cards(repo_root):
    kit = _kit_rules(repo_root)
    allowed = set(kit["allowed_facts"])
    assert not allowed & LABEL_FACTS, f"label fact(s) {sorted(allowed & LABEL_FACTS)} listed in kit_cards.yml"
    assert {rule["fact_type"] for rule in kit["rules"]} <= allowed


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory, repo_root):
    root = tmp_path_factory.mktemp("kit_cards") / "project"
    root.mkdir()
    shutil.copy(repo_root / "riftlab.yaml", root / "riftlab.yaml")
    shutil.copytree(repo_root / "transforms", root / "transforms")
    for spider in ("meraki", "ddragon"):
        crawl = _riftlab(root, "crawl", spider, "--offline")
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    build = _riftlab(root, "build")
    assert build.returncode == 0, build.stdout + build.stderr
    con = duckdb.connect(str(root / "data" / "riftlab.duckdb"), read_only=True)
    yield root, con
    con.close()


def test_cards_say_what_the_facts_say(fixture_project):
    _, con = fixture_project
    cards = dict(
        ((champion, passage), text)
        for champion, passage, text in con.execute(
            "select champion, passage, text from main.champion_kit_cards where champion = 'Aatrox'"
        ).fetchall()
    )
    # Meraki: MELEE, PHYSICAL_DAMAGE, BLOOD_WELL, damage 3, toughness 2; Data Dragon info: attack 5 (of 10)
    assert set(cards) == {("Aatrox", "profile"), ("Aatrox", "ratings"), ("Aatrox", "info")}
    assert "Aatrox fights in melee range" in cards["Aatrox", "profile"]
    assert "physical damage" in cards["Aatrox", "profile"]
    assert "uses blood well as a resource" in cards["Aatrox", "profile"]  # the fallback rule, value spelled out
    assert "Aatrox deals very high damage." in cards["Aatrox", "ratings"]
    assert "Aatrox is moderately durable." in cards["Aatrox", "ratings"]
    assert "Aatrox has average basic attacks." in cards["Aatrox", "info"]


def test_every_sentence_is_logged_with_its_rule(fixture_project):
    _, con = fixture_project
    hits = con.execute(
        "select fact_type, value, rule from main.champion_kit_card_hits where champion = 'Aatrox' order by rule_no"
    ).fetchall()
    facts = con.execute(
        "select fact_type, value from main.int_champion_facts where champion_key = 'Aatrox' and chosen "
        "and (fact_type in ('attack_type', 'adaptive_type', 'resource') or fact_type like 'rating_%' "
        "or fact_type like 'info_%')"
    ).fetchall()
    assert sorted((f, v) for f, v, _ in hits) == sorted(facts)  # one sentence per fact, none without a fact
    assert ("rating_damage", "3", "damage_high") in hits
    assert not {f for f, _, _ in hits} & LABEL_FACTS


def test_cards_enter_the_corpus_in_their_champions_split(fixture_project):
    _, con = fixture_project
    rows = con.execute(
        "select d.champion, d.group_key, d.split, count(*) filter (where d.source = 'kit_card'), "
        "count(*) filter (where d.source <> 'kit_card') "
        "from main.corpus_documents d where d.champion is not null group by all"
    ).fetchall()
    assert rows and all(cards >= 2 and others >= 1 for _, _, _, cards, others in rows)
    assert all(group == f"champion:{champion}" for champion, group, _, _, _ in rows)
    assert con.execute("select count(*) from main.corpus_chunks where source = 'kit_card'").fetchone()[0] > 0
    # retrieval queries stay crawled text
    assert (
        con.execute(
            "select count(*) from main.eval_query_chunks q join main.corpus_chunks c using (chunk_id) "
            "where c.source = 'kit_card'"
        ).fetchone()[0]
        == 0
    )


@pytest.mark.parametrize(
    ("description", "facts"),
    [
        ("ranged, physical damage", {"ranged", "physical"}),
        ("fights in melee, deals magic damage", {"melee", "magic"}),
    ],
)
def test_kit_search_puts_the_champions_whose_cards_state_every_fact_first(fixture_project, description, facts):
    """`riftlab neighbours --kit` reads the kit cards: every champion with all the facts named ranks above every
    champion without, and each row says which card fact each part of the description matched."""
    root, con = fixture_project
    having = {
        champion
        for champion, rules in con.execute(
            "select champion, list(rule) from main.champion_kit_card_hits group by champion"
        ).fetchall()
        if facts <= set(rules)
    }
    names = dict(con.execute("select champion_key, name from main.champions").fetchall())
    assert 0 < len(having) < len(names)
    search = _riftlab(root, "neighbours", "--kit", description, "--model", "minilm", "-k", str(len(names)))
    assert search.returncode == 0, search.stdout + search.stderr
    shown = [line.split("│") for line in search.stdout.splitlines() if re.match(r"^│\s+\d+\s+│", line)]
    assert len(shown) == len(names)
    first = [cells[2].strip() for cells in shown[: len(having)]]
    assert sorted(first) == sorted(names[key] for key in having)
    assert all(set(cells[4].strip().split(", ")) == facts for cells in shown[: len(having)])


def test_a_card_naming_a_label_is_not_published(fixture_project, tmp_path):
    """Listing `position` and a rule that writes it: the build gate refuses the cards, naming the check."""
    root, _ = fixture_project
    project = tmp_path / "project"
    shutil.copytree(root, project)
    rules = project / "transforms" / "rules" / "kit_cards.yml"
    text = rules.read_text(encoding="utf-8").replace("  - attack_type\n", "  - attack_type\n  - position\n", 1)
    text += "  - {name: lane, passage: profile, fact_type: position, words: '{name} plays {value}.'}\n"
    rules.write_text(text, encoding="utf-8")
    build = _riftlab(project, "build", "--select", "+champion_kit_cards")
    assert build.returncode != 0
    assert "cards_name_no_label" in build.stdout + build.stderr
