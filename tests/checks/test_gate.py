"""The publication gate: blocking expectations checked against an unpublished relation."""

from __future__ import annotations

import pytest

from warehouse.checks.gate import blocking_failures

TMP = 'main."__riftlab_tmp_{}"'


@pytest.fixture
def con(checks_project):
    connection = checks_project.connect()
    yield connection
    connection.close()


def test_a_good_relation_passes(con, checks_project):
    for table in (
        "champions",
        "corpus_chunks",
        "corpus_documents",
        "triplets",
        "instruct_pairs",
        "champion_fact_conflicts",
    ):
        con.execute(f"CREATE TABLE {TMP.format(table)} AS SELECT * FROM main.{table}")
        assert blocking_failures(con, checks_project, table, TMP.format(table)) == [], table


def test_a_bad_relation_is_rejected_with_each_failure_named(con, checks_project):
    con.execute(
        f"""CREATE TABLE {TMP.format("champions")} AS
        SELECT * REPLACE (
            CASE WHEN champion_key = 'Jinx' THEN [] ELSE classes END AS classes,
            CASE WHEN champion_key = 'Vi' THEN ['Diver', 'Bruiser'] ELSE subclasses END AS subclasses)
        FROM main.champions"""
    )
    failures = blocking_failures(con, checks_project, "champions", TMP.format("champions"))
    assert len(failures) == 2
    position_class, subclass = sorted(failures)
    assert position_class.startswith("champions.every_champion_has_a_position_and_a_class [blocking]: 1 failing row(s)")
    assert '"champion_key": "Jinx"' in position_class
    assert subclass.startswith("champions.expect_column_values_to_be_in_set(subclasses[*]) [blocking]: 1 unexpected")
    assert '"__element": "Bruiser"' in subclass and '"champion_key": "Vi"' in subclass
    # the published table was never looked at: it is still fine
    assert blocking_failures(con, checks_project, "champions", 'main."champions"') == []


def test_sql_expectations_run_against_the_relation_and_join_published_tables(con, checks_project):
    con.execute(
        f"""CREATE TABLE {TMP.format("triplets")} AS
        SELECT * FROM main.triplets
        UNION ALL
        SELECT 't9', 'champion', 'Garen', 'Aatrox', 'Darius', 'Garen', 'Aatrox', 'Darius', 'same_position', 'train'"""
    )
    (failure,) = blocking_failures(con, checks_project, "triplets", TMP.format("triplets"))
    assert failure.startswith("triplets.triplets_obey_their_rule [blocking]: 1 failing row(s)")
    assert "t9" in failure and "not in main.champions" in failure


def test_the_gate_works_inside_the_builds_transaction(con, checks_project):
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"CREATE TABLE {TMP.format('corpus_chunks')} AS "
        "SELECT * REPLACE (n_tokens * 100 AS n_tokens) FROM main.corpus_chunks"
    )
    failures = blocking_failures(con, checks_project, "corpus_chunks", TMP.format("corpus_chunks"))
    con.execute("ROLLBACK")
    assert [f.split(" ")[0] for f in failures] == ["corpus_chunks.chunk_tokens_within_bounds"]
    assert "20 failing row(s)" in failures[0]


def test_tables_without_a_suite_or_blocking_expectations_always_publish(con, checks_project):
    con.execute("CREATE TABLE main.stg_documents AS SELECT 1 AS x")
    assert blocking_failures(con, checks_project, "stg_documents", 'main."stg_documents"') == []


def test_vars_drive_sql_expectations(con, checks_project):
    checks_project.config["vars"]["chunk_max_tokens"] = 80
    failures = blocking_failures(con, checks_project, "corpus_chunks", 'main."corpus_chunks"')
    assert len(failures) == 1 and "chunk_tokens_within_bounds [blocking]: 14 failing row(s)" in failures[0]


def test_a_blocking_regex_expectation_gates_publication(con, checks_project):
    path = checks_project.transforms_dir / "expectations" / "champions.yml"
    path.write_text(
        path.read_text()
        + "  - type: expect_column_values_to_match_regex\n"
        + "    kwargs: {column: champion_key, regex: '^[A-Z][A-Za-z]+$'}\n"
        + "    blocking: true\n",
        encoding="utf-8",
    )
    con.execute(f"CREATE TABLE {TMP.format('champions')} AS SELECT * FROM main.champions")
    assert blocking_failures(con, checks_project, "champions", TMP.format("champions")) == []
    con.execute(f"UPDATE {TMP.format('champions')} SET champion_key = 'kai''sa' WHERE champion_key = 'Lux'")
    (failure,) = blocking_failures(con, checks_project, "champions", TMP.format("champions"))
    assert failure.startswith("champions.expect_column_values_to_match_regex(champion_key) [blocking]: 1 unexpected")
    assert "kai'sa" in failure


def test_sql_expectations_read_rule_files_with_their_defaults(con, checks_project):
    """A rule leaving out a column has the file's default in expectations too, as in models."""
    rules = checks_project.transforms_dir / "rules" / "masks.yml"
    rules.write_text(
        "columns:\n  pattern: regex\n  replacement: text?\ndefaults:\n  replacement: ''\nrules:\n  - pattern: '\\d+'\n"
    )
    suite = checks_project.transforms_dir / "expectations" / "masked.yml"
    suite.write_text(
        "table: masked\nexpectations:\n  - name: masks_applied\n    blocking: true\n    sql: |\n"
        "      {%- set rule = rules.masks.rules[0] %}\n"
        "      SELECT * FROM {{ this }}\n"
        "      WHERE masked <> regexp_replace(original, {{ literal(rule.pattern) }}, "
        "{{ literal(rule.replacement) }}, 'g')\n"
    )
    con.execute(f"CREATE TABLE {TMP.format('masked')} AS SELECT 'cooldown 14 s' AS original, 'cooldown  s' AS masked")
    assert blocking_failures(con, checks_project, "masked", TMP.format("masked")) == []
    con.execute(f"UPDATE {TMP.format('masked')} SET masked = 'cooldown 14 s'")
    (failure,) = blocking_failures(con, checks_project, "masked", TMP.format("masked"))
    assert failure.startswith("masked.masks_applied [blocking]: 1 failing row(s)")
