"""Patch independence: numbers and patch references go, mechanics stay, every removal is logged."""

from __future__ import annotations

import re

import duckdb
import pytest
import yaml

from tests.transforms import raw_landing
from tests.transforms.project import write_config

PER_RANK = re.compile(r"\d+(\.\d+)?\s*%?\s*/\s*\d+(\.\d+)?\s*%?\s*/\s*\d")
PATCH_REF = re.compile(r"(?i)\bpatch\s+v?\d+\.\d+|\bv\d+\.\d+")


def _rules(repo_root):
    return yaml.safe_load((repo_root / "transforms/rules/patch_independence.yml").read_text())["rules"]


def test_every_rule_matches_its_own_example(repo_root):
    for rule in _rules(repo_root):
        subject = rule["example"]
        assert duckdb.connect().execute("select regexp_matches(?, ?)", [subject, rule["pattern"]]).fetchone()[0], rule[
            "name"
        ]


def test_masks_remove_what_they_match_and_keep_mechanics(repo_root):
    for rule in (r for r in _rules(repo_root) if r["action"] == "mask"):
        masked = (
            duckdb.connect()
            .execute(
                "select regexp_replace(?, ?, ?, 'g')", [rule["example"], rule["pattern"], rule.get("replacement") or ""]
            )
            .fetchone()[0]
        )
        assert not re.search(r"\d", masked.replace("%", "")), (rule["name"], masked)
        assert re.search(r"[a-z]{4,}", masked), (rule["name"], masked)


def test_chunks_have_no_patch_numbers_and_keep_mechanics(built):
    _, con = built
    texts = [t for (t,) in con.execute("select text from main.corpus_chunks").fetchall()]
    assert texts
    for text in texts:
        assert not PER_RANK.search(text), text
        assert not PATCH_REF.search(text), text
        assert not re.search(r"(?i)\b(cooldown|cost|range)\s*:", text), text
    corpus = " ".join(texts)
    for mechanic in ("knocking up", "dashes", "heals for a percentage of damage dealt", "roots", "silences"):
        assert mechanic in corpus, mechanic


def test_patch_history_passages_are_dropped(built):
    _, con = built
    assert con.execute(
        "select count(*) from main.corpus_documents where section_path ilike '%patch history%'"
    ).fetchone() == (0,)
    hits = con.execute(
        "select count(*) from main.corpus_rule_hits where rule = 'patch_history_section' and action = 'drop_section'"
    ).fetchone()[0]
    assert hits == 8  # one per champion


@pytest.mark.parametrize(
    "rule, matched",
    [
        ("per_rank_values", "50 / 80 / 110 / 140 / 170"),
        ("scaling_ratio", "(+ 60% AP)"),
        ("percentage_value", "13% - 39% (based on level)"),
        ("cost_cooldown_line", "Cost: 45 mana"),
        ("patch_reference", "As of patch V14.3, Judgment can critically strike."),
        ("patch_reference", "This was changed in patch 13.1 to root for longer."),
        ("distance_value", "500 units"),
        ("duration_value", "10 seconds"),
    ],
)
def test_every_removal_is_logged(built, rule, matched):
    _, con = built
    rows = con.execute(
        "select count(*) from main.corpus_rule_hits where rule = ? and starts_with(trim(matched_text), ?)",
        [rule, matched],
    ).fetchone()[0]
    assert rows >= 1


def test_html_passages_lose_markup_and_navigation(built):
    _, con = built
    (text,) = con.execute("select text from main.corpus_documents where title = 'Baron Nashor'").fetchone()
    assert text == "Baron Nashor empowers the team that slays it."


def test_a_mask_without_replacement_removes_its_match(project_copy):
    """The file says `replacement` defaults to nothing: leaving it out of every mask still builds and masks."""
    from warehouse.project import Project
    from warehouse.runner.build import build

    path = project_copy / "transforms" / "rules" / "patch_independence.yml"
    text = path.read_text()
    assert "    replacement: ''\n" in text
    path.write_text(text.replace("    replacement: ''\n", ""))
    write_config(project_copy)
    project = Project.load(project_copy)
    raw_landing.land(project)
    results = build(project, ("+corpus_rule_hits",))
    assert all(r.status == "success" for r in results), [(r.name, r.error) for r in results if r.error]
    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        (masked,) = con.execute(
            "select sentence from main.int_sentences_masked where original like '%(+ 60% AP) magic damage%'"
        ).fetchone()
        hits = con.execute("select count(*) from main.corpus_rule_hits where rule = 'scaling_ratio'").fetchone()[0]
        nulls = con.execute(
            "select count(*) from main.rules_patch_independence where action = 'mask' and replacement is null"
        ).fetchone()[0]
    finally:
        con.close()
    assert masked == "magic damage."
    assert hits >= 1 and nulls == 0
