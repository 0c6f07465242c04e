"""The engine agrees with Great Expectations: every type it evaluates, on small tables and the real suites.

Both sides see the same table: the engine evaluates in DuckDB, GX validates the batches Data Docs
are built from (``DataDocs.record``).  They must agree on success, on the unexpected count and share
(or the observed value), and on the failing values themselves.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from warehouse.checks import engine
from warehouse.checks.data_docs import DataDocs
from warehouse.checks.suites import Expectation, Suite, load_suites

# six rows: duplicates, nulls, an empty list, a null list, a null list element
TABLE = """
CREATE TABLE main.t AS SELECT * FROM (VALUES
    ('a',   1,    ['x'],           '1',  'a'),
    ('b',   2,    ['x', 'y'],      '1',  'a'),
    ('b',   3,    []::VARCHAR[],   NULL, NULL),
    (NULL,  NULL, NULL,            NULL, NULL),
    ('ccc', 10,   ['z', NULL],     '2',  NULL),
    ('dd',  5,    ['y'],           '3',  NULL)
) AS v(k, n, tags, p, q);
CREATE TABLE main.empty AS SELECT * FROM main.t WHERE false;
"""

# (type, kwargs, unnest): each type passing and failing, with nulls, bounds, mostly and its modes
CASES = [
    ("expect_column_values_to_not_be_null", {"column": "k"}, False),
    ("expect_column_values_to_not_be_null", {"column": "k", "mostly": 0.8}, False),
    ("expect_column_values_to_not_be_null", {"column": "tags"}, False),
    ("expect_column_values_to_not_be_null", {"column": "tags"}, True),
    ("expect_column_values_to_be_null", {"column": "k"}, False),
    ("expect_column_values_to_be_null", {"column": "tags"}, True),
    ("expect_column_values_to_be_null", {"column": "q", "mostly": 0.5}, False),
    ("expect_column_values_to_be_unique", {"column": "k"}, False),
    ("expect_column_values_to_be_unique", {"column": "n"}, False),
    ("expect_column_values_to_be_unique", {"column": "tags"}, True),
    ("expect_column_values_to_be_in_set", {"column": "k", "value_set": ["a", "b", "ccc", "dd"]}, False),
    ("expect_column_values_to_be_in_set", {"column": "k", "value_set": ["a", "b"]}, False),
    ("expect_column_values_to_be_in_set", {"column": "k", "value_set": []}, False),
    ("expect_column_values_to_be_in_set", {"column": "n", "value_set": [1, 2, 3, 5, 10]}, False),
    ("expect_column_values_to_be_in_set", {"column": "tags", "value_set": ["x", "y"]}, True),
    ("expect_column_values_to_be_in_set", {"column": "tags", "value_set": ["x", "y", "z"]}, True),
    ("expect_column_values_to_not_be_in_set", {"column": "k", "value_set": ["b"]}, False),
    ("expect_column_values_to_not_be_in_set", {"column": "k", "value_set": ["zz"]}, False),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 2, "max_value": 5}, False),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 2, "strict_min": True}, False),
    ("expect_column_values_to_be_between", {"column": "n", "max_value": 10, "strict_max": True}, False),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 2, "max_value": 5, "mostly": 0.6}, False),
    ("expect_column_values_to_be_between", {"column": "n", "min_value": 1, "max_value": 10}, False),
    ("expect_column_value_lengths_to_be_between", {"column": "k", "min_value": 2}, False),
    ("expect_column_value_lengths_to_be_between", {"column": "k", "min_value": 1, "max_value": 3}, False),
    ("expect_column_value_lengths_to_equal", {"column": "k", "value": 1}, False),
    ("expect_column_value_lengths_to_equal", {"column": "p", "value": 1}, False),
    ("expect_column_values_to_match_regex", {"column": "k", "regex": "^[a-c]"}, False),
    ("expect_column_values_to_match_regex", {"column": "k", "regex": "c+"}, False),
    ("expect_column_values_to_match_regex", {"column": "k"}, False),
    ("expect_column_values_to_not_match_regex", {"column": "k", "regex": "b"}, False),
    ("expect_column_values_to_not_match_regex", {"column": "k", "regex": "^x"}, False),
    ("expect_compound_columns_to_be_unique", {"column_list": ["p", "q"]}, False),
    (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["p", "q"], "ignore_row_if": "any_value_is_missing"},
        False,
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["p", "q"], "ignore_row_if": "never"}, False),
    ("expect_compound_columns_to_be_unique", {"column_list": ["k", "n"]}, False),
    ("expect_compound_columns_to_be_unique", {"column_list": ["p", "q"], "mostly": 0.5}, False),
    ("expect_table_row_count_to_be_between", {"min_value": 1}, False),
    ("expect_table_row_count_to_be_between", {"min_value": 7}, False),
    ("expect_table_row_count_to_be_between", {"max_value": 6, "strict_max": True}, False),
    ("expect_table_row_count_to_be_between", {"min_value": 6, "max_value": 6}, False),
    ("expect_table_row_count_to_equal", {"value": 6}, False),
    ("expect_table_row_count_to_equal", {"value": 5}, False),
    ("expect_column_to_exist", {"column": "k"}, False),
    ("expect_column_to_exist", {"column": "zz"}, False),
]
SQL_CASES = ["SELECT * FROM {{ this }} WHERE n > 4", "SELECT * FROM {{ this }} WHERE n > 100"]


def _suite(table: str) -> Suite:
    expectations = [
        Expectation(name=f"case_{i}", type=type_, kwargs=kwargs, unnest=unnest)
        for i, (type_, kwargs, unnest) in enumerate(CASES)
    ]
    expectations += [Expectation(name=f"sql_{i}", type="sql", sql=sql) for i, sql in enumerate(SQL_CASES)]
    return Suite(table, Path(f"{table}.yml"), f"{table}.yml", "made by the test", tuple(expectations))


def _plain(value):
    """Values as both sides report them: pandas' NaN is SQL's NULL, integers in a float column are numbers."""
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if pd.isna(value):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _gx_said(result, expectation: Expectation) -> dict:
    """GX's verdict in the engine's terms: success, observed, failing count, failing values."""
    said = {"success": bool(result.success)}
    if expectation.is_sql:
        said["failing_count"] = result.result["observed_value"]
    elif "unexpected_count" in result.result:
        count, share = result.result["unexpected_count"], result.result.get("unexpected_percent")
        said["observed"] = f"{count} unexpected ({share:.2f}%)" if share is not None else f"{count} unexpected"
        said["failing_count"] = count
        said["values"] = sorted(map(_plain, result.result.get("partial_unexpected_list") or []), key=repr)
    elif "observed_value" in result.result:
        said["observed"] = str(result.result["observed_value"])
    return said


def _failing_values(outcome, expectation: Expectation) -> list:
    """The failing values in the engine's sample of failing rows, as GX lists them."""
    if expectation.type == "expect_compound_columns_to_be_unique":
        columns = expectation.kwargs["column_list"]
        return [{c: row[c] for c in columns} for row in outcome.failing_sample]
    key = "__element" if expectation.unnest else expectation.column
    return [row[key] for row in outcome.failing_sample]


def _verdicts(outcome, expectation: Expectation, result) -> tuple[dict, dict]:
    """(GX's verdict, the engine's) on the points GX reports; failing values when the sample holds them all."""
    gx_said = _gx_said(result, expectation)
    engine_said = {"success": outcome.success}
    for point in ("observed", "failing_count"):
        if point in gx_said:
            engine_said[point] = getattr(outcome, point)
    if "values" in gx_said:
        if outcome.failing_count > len(outcome.failing_sample):
            del gx_said["values"]
        else:
            engine_said["values"] = sorted(map(_plain, _failing_values(outcome, expectation)), key=repr)
    return gx_said, engine_said


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    """(GX's verdict, the engine's verdict) for every case, on the six-row table and on an empty one."""
    folder = tmp_path_factory.mktemp("agreement")
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    con.execute(TABLE)
    docs = DataDocs(folder / "docs")
    context = engine.Context(variables={}, rules={}, sample_rows=20)
    found = {}
    for table in ("t", "empty"):
        suite = _suite(table)
        relation = f'main."{table}"'
        outcomes = [engine.evaluate(con, suite, e, relation, context) for e in suite.expectations]
        results = docs.record(con, suite, relation, outcomes, context)
        for expectation, outcome in zip(suite.expectations, outcomes, strict=True):
            assert outcome.error is None, outcome.error
            found[table, expectation.name] = _verdicts(outcome, expectation, results[expectation.name])
    con.close()
    return found


@pytest.mark.parametrize("table", ["t", "empty"])
@pytest.mark.parametrize("name", [f"case_{i}" for i in range(len(CASES))] + [f"sql_{i}" for i in range(len(SQL_CASES))])
def test_the_engine_agrees_with_gx(verdicts, table, name):
    gx_said, engine_said = verdicts[table, name]
    assert engine_said == gx_said


def test_every_type_the_engine_evaluates_is_compared_passing_and_failing(verdicts):
    """A type added to the engine without agreement cases (or with cases that cannot fail) fails here."""
    seen: dict[str, set[bool]] = {}
    for i, (type_, _kwargs, _unnest) in enumerate(CASES):
        seen.setdefault(type_, set()).add(verdicts["t", f"case_{i}"][0]["success"])
    assert set(seen) == set(engine.TYPES)
    assert {type_: outcomes for type_, outcomes in seen.items() if outcomes != {True, False}} == {}


# one break per GX type the repository's suites use (and a few SQL expectations failing with them)
BREAKS = [
    "UPDATE main.champions SET positions = ['Mid', NULL] WHERE champion_key = 'Ahri'",
    "INSERT INTO main.champions SELECT * REPLACE (NULL AS name) FROM main.champions WHERE champion_key = 'Vi'",
    "UPDATE main.corpus_chunks SET split = 'test' WHERE chunk_id = 'wiki:Vi#1'",
    "UPDATE main.corpus_documents SET url = NULL WHERE document_id = 'wiki:Lux'",
    "INSERT INTO main.champion_fact_conflicts SELECT * FROM main.champion_fact_conflicts",
    "INSERT INTO main.champion_fact_conflicts VALUES (NULL, NULL, [], [])",
    "DELETE FROM main.triplets",
]


def test_the_engine_agrees_with_gx_on_the_repository_suites(checks_project):
    """Every expectation of transforms/expectations/, on the fixture warehouse with a break per GX type."""
    con = checks_project.connect()
    try:
        for sql in BREAKS:
            con.execute(sql)
        suites = load_suites(checks_project.transforms_dir, checks_project.root)
        docs = DataDocs(checks_project.reports_dir / "data-docs")
        context = engine.Context.of(checks_project)
        compared, failed = set(), 0
        for suite in suites:
            relation = f'main."{suite.table}"'
            outcomes = [engine.evaluate(con, suite, e, relation, context) for e in suite.expectations]
            results = docs.record(con, suite, relation, outcomes, context)
            for expectation, outcome in zip(suite.expectations, outcomes, strict=True):
                assert outcome.error is None, outcome.error
                gx_said, engine_said = _verdicts(outcome, expectation, results[expectation.name])
                assert engine_said == gx_said, f"{suite.table}.{expectation.name}"
                compared.add(expectation.type)
                failed += not outcome.success
    finally:
        con.close()
    used = {e.type for s in suites for e in s.expectations}
    assert compared == used and failed >= len(BREAKS)
