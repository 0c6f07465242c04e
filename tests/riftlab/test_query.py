"""`riftlab query` is read-only in fact: it cannot overwrite the warehouse or reach other files.

Issue 14, rows 3 and 6.
"""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pytest


@pytest.fixture
def built(project):
    project.model("base", "select 1 as id, 'one' as name")
    project.riftlab("build", check=True)
    return project


def test_out_onto_the_warehouse_is_refused_and_the_warehouse_survives(built):
    size = built.db.stat().st_size
    for target in (built.db, built.db.with_name(built.db.name + ".wal")):
        result = built.riftlab("query", "select 1", "--format", "json", "--out", str(target))
        assert result.returncode == 1, result.stderr
        assert "is the warehouse being queried" in result.stderr and "Traceback" not in result.stderr
    assert built.db.stat().st_size == size
    assert built.rows("select * from main.base") == [(1, "one")]


def test_out_onto_another_duckdb_database_is_refused(built, tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table kept as select 42 as answer")
    con.close()
    result = built.riftlab("query", "select 1", "--format", "csv", "--out", str(other))
    assert result.returncode == 1 and "is a DuckDB database" in result.stderr
    con = duckdb.connect(str(other), read_only=True)
    assert con.execute("select answer from kept").fetchall() == [(42,)]
    con.close()


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_out_files_are_written_by_riftlab_in_each_format(built, tmp_path, fmt):
    target = tmp_path / f"result.{fmt}"
    built.riftlab("query", "select * from main.base", "--format", fmt, "--out", str(target), check=True)
    if fmt == "json":
        assert json.loads(target.read_text()) == [{"id": 1, "name": "one"}]
    elif fmt == "csv":
        assert target.read_text().splitlines() == ["id,name", "1,one"]
    else:
        con = duckdb.connect()
        assert con.execute(f"select * from read_parquet('{target}')").fetchall() == [(1, "one")]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left behind


def test_sql_cannot_read_or_write_files_without_allow_files(built, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    victim = tmp_path / "victim.duckdb"
    con = duckdb.connect(str(victim))
    con.execute("create table t as select 1 as kept")
    con.close()
    attempts = [
        f"select * from read_text('{secret}')",
        f"copy (select 'gone') to '{victim}'",
        f"export database '{tmp_path / 'exported'}'",
        f"attach '{victim}' as v",
        "install httpfs",
        "set enable_external_access = true",
    ]
    for sql in attempts:
        result = built.riftlab("query", sql)
        assert result.returncode == 1, (sql, result.stdout)
        assert "Traceback" not in result.stderr and sql in result.stderr
        assert "top secret" not in result.stdout
    assert "--allow-files" in built.riftlab("query", attempts[0]).stderr
    con = duckdb.connect(str(victim), read_only=True)
    assert con.execute("select kept from t").fetchall() == [(1,)]
    con.close()
    assert not (tmp_path / "exported").exists()

    allowed = built.riftlab("query", attempts[0], "--format", "json", "--allow-files", check=True)
    assert "top secret" in allowed.stdout


def test_a_sqlite_file_as_warehouse_is_one_line_and_downloads_nothing(project, tmp_path):
    lite = tmp_path / "lite.db"
    sqlite3.connect(lite).execute("create table t (x)").connection.close()
    result = project.riftlab("--db", str(lite), "query", "select 1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and str(lite) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_warehouse_whose_folder_cannot_be_made_is_one_line(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    project.model("base", "select 1 as id")
    result = project.riftlab("--db", str(blocker / "sub" / "wh.duckdb"), "build")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Cannot create the warehouse's folder" in result.stderr and str(blocker) in result.stderr
