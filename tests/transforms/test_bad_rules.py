"""Broken rule files: one clear line naming the file and rule; the last good tables stay."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.transforms import raw_landing
from tests.transforms.project import write_config


@pytest.fixture
def built_copy(project_copy):
    from warehouse.project import Project
    from warehouse.runner.build import build

    write_config(project_copy)
    project = Project.load(project_copy)
    raw_landing.land(project)
    assert all(r.status == "success" for r in build(project, ("+triplets",)))
    return project


def _riftlab(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "--project-dir", str(project.root), *args], capture_output=True, text=True
    )


def _count(project, table):
    import duckdb

    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        return con.execute(f"select count(*) from main.{table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "triplets.yml",
            "positive_shares: [position]",
            "positive_shares: [lane]",
            "transforms/rules/triplets.yml: rule 2 ('same_position') 'positive_shares' has unknown value(s) lane",
        ),
        (
            "patch_independence.yml",
            r"pattern: '[+-]?\d+(\.\d+)?\s*%?(\s*/",
            r"pattern: '[+-?\d+(\.\d+)?\s*%?(\s*/",
            "transforms/rules/patch_independence.yml: rule 9 ('per_rank_values') 'pattern' "
            "is not a valid regular expression",
        ),
        (
            "patch_independence.yml",
            "action: mask",
            "action: erase",
            "'action' is 'erase'; expected one of drop_section, drop_sentence, mask",
        ),
    ],
)
def test_broken_rule_file_is_named_and_tables_survive(built_copy, file, old, new, message):
    path = built_copy.root / "transforms" / "rules" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    before = _count(built_copy, "triplets")
    result = _riftlab(built_copy, "build")
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert _count(built_copy, "triplets") == before


def test_champion_without_a_position_is_named_and_champions_stays(built_copy):
    import duckdb

    con = duckdb.connect(str(built_copy.db_path))
    con.execute("delete from raw.facts where champion = 'Jinx' and fact_type = 'position'")
    con.close()
    before = _count(built_copy, "champions")
    result = _riftlab(built_copy, "build")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "champions" in output and "not published" in output and "Jinx" in output
    assert _count(built_copy, "champions") == before
    con = duckdb.connect(str(built_copy.db_path), read_only=True)
    assert con.execute("select positions from main.champions where champion_key = 'Jinx'").fetchall() == [(["Bottom"],)]
    con.close()


def test_an_empty_source_keeps_the_last_good_corpus(built_copy):
    import duckdb

    before = _count(built_copy, "corpus_chunks")
    con = duckdb.connect(str(built_copy.db_path))
    con.execute("delete from raw.documents")
    con.close()
    result = _riftlab(built_copy, "build")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "corpus_chunks" in output and "not published" in output
    assert _count(built_copy, "corpus_chunks") == before
