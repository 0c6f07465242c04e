"""Suite files: the repository's suites load; mistakes are reported with the file and the expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.checks.suites import load_suite, load_suites
from warehouse.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = {"champions", "corpus_chunks", "corpus_documents", "triplets", "instruct_pairs", "champion_fact_conflicts"}


def test_repository_suites_cover_the_published_tables():
    suites = {s.table: s for s in load_suites(REPO / "transforms", REPO)}
    assert PUBLISHED <= set(suites)
    for table in ("champions", "corpus_chunks", "corpus_documents", "triplets"):
        assert suites[table].blocking, f"{table} has no blocking expectation"
    names = {e.name for e in suites["triplets"].expectations}
    assert {"triplets_obey_their_rule", "heldout_champions_absent_from_training"} <= names
    positions = next(e for e in suites["champions"].expectations if e.column == "positions")
    assert positions.unnest and positions.name == "expect_column_values_to_be_in_set(positions[*])"


def _write(tmp_path: Path, text: str, name: str = "champions.yml") -> Path:
    folder = tmp_path / "transforms" / "expectations"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "expectations:\n  - type: expect_column_values_to_be_unique\n    kwarg: {column: x}\n",
            "unknown key(s) kwarg",
        ),
        ("expectations:\n  - sql: SELECT 1\n", "a SQL expectation needs a 'name'"),
        ("expectations:\n  - type: column_values_unique\n", "is not a GX expectation type"),
        (
            "expectations:\n  - name: x\n    sql: SELECT 1\n    blocking: yes please\n",
            "'blocking' must be true or false",
        ),
        ("expectations:\n  - type: expect_column_values_to_be_in_set\n    unnest: true\n", "needs kwargs.column"),
        ("expectations: []\n", "non-empty list"),
        (
            "expectations:\n  - {name: a, sql: SELECT 1}\n  - {name: a, sql: SELECT 2}\n",
            "two expectations are named 'a'",
        ),
        ("expectations:\n  - [oops\n", "invalid YAML"),
    ],
)
def test_bad_suites_name_the_file_and_the_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_suite(path, tmp_path)
    assert "transforms/expectations/champions.yml" in str(caught.value)
    assert message in str(caught.value)


def test_a_bare_list_is_a_suite_named_after_its_file(tmp_path):
    path = _write(tmp_path, "- {name: no_rows, sql: 'SELECT 1 WHERE false', blocking: true}\n", "triplets.yml")
    suite = load_suite(path, tmp_path)
    assert suite.table == "triplets" and suite.blocking[0].name == "no_rows"
    assert "riftlab build --select triplets" in suite.made_by


def test_selecting_a_table_without_suite_is_an_error(tmp_path):
    _write(tmp_path, "- {name: a, sql: SELECT 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_suites(tmp_path / "transforms", tmp_path, select=["triplet"])
    assert "no expectation suite for triplet" in str(caught.value)
    assert str(caught.value).endswith("suites: champions")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{type: expect_column_values_to_be_uniq, kwargs: {column: x}}",
            "expect_column_values_to_be_uniq is not an expectation type riftlab evaluates "
            "(did you mean 'expect_column_values_to_be_unique'?)",
        ),
        (
            "{type: expect_column_values_to_be_in_set, kwargs: {column: x, value_set: [a], row_condition: 'x > 1'}}",
            "takes no kwargs row_condition; it takes column, value_set, mostly",
        ),
        ("{type: expect_column_values_to_be_in_set, kwargs: {column: x}}", "needs kwargs value_set"),
        ("{type: expect_column_values_to_be_in_set, kwargs: {column: x, value_set: a}}", "kwargs.value_set must be"),
        ("{type: expect_column_values_to_not_be_null, kwargs: {column: x, mostly: 2}}", "kwargs.mostly must be"),
        ("{type: expect_column_values_to_be_between, kwargs: {column: x}}", "needs kwargs min_value or max_value"),
        ("{type: expect_column_values_to_match_regex, kwargs: {column: x, regex: '(?<=a)b'}}", "kwargs.regex is not"),
        (
            "{type: expect_column_to_exist, kwargs: {column: x}, unnest: true}",
            "'unnest: true' applies to a column's values",
        ),
    ],
)
def test_expectations_the_engine_cannot_evaluate_are_refused_at_load(tmp_path, entry, message):
    """Every expectation that loads is one the engine evaluates, the way GX would: nothing is skipped at run time."""
    path = _write(tmp_path, f"expectations:\n  - {entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_suite(path, tmp_path)
    assert str(caught.value).startswith("transforms/expectations/champions.yml: expectation 1")
    assert message in str(caught.value)
