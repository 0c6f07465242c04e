"""The `riftlab` command as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb


def test_build_ls_query_round_trip(project):
    project.model("base", "select 1 as id, 'Ahri' as name")
    project.model("names", "select name from {{ ref('base') }}")
    built = project.riftlab("build", check=True)
    assert "2 built, 0 failed, 0 skipped" in built.stdout

    listed = project.riftlab("ls", check=True).stdout.splitlines()
    assert listed[1].split() == ["base", "table", "-"]
    assert listed[2].split() == ["names", "table", "base"]

    out = project.riftlab("query", "select name from main.names", "--format", "json", check=True)
    assert json.loads(out.stdout) == [{"name": "Ahri"}]
    target = project.root / "names.parquet"
    project.riftlab("query", "select * from main.names", "--format", "parquet", "--out", str(target), check=True)
    assert duckdb.connect().sql(f"select name from '{target}'").fetchall() == [("Ahri",)]


def test_query_cannot_write(project):
    project.model("base", "select 1 as id")
    project.riftlab("build", check=True)
    for sql in ("drop table main.base", "insert into main.base values (2)", "create table main.evil as select 1"):
        result = project.riftlab("query", sql)
        assert result.returncode == 1
        assert "read-only" in result.stderr and sql in result.stderr
        assert "Traceback" not in result.stderr
    assert project.rows("select * from main.base") == [(1,)]


def test_build_exit_code_and_message_on_failure(project):
    project.model("broken", "select * from nowhere")
    result = project.riftlab("build")
    assert result.returncode == 1
    assert "transforms/models/broken.sql" in result.stderr + result.stdout
    assert "0 built, 1 failed" in result.stdout


def test_missing_warehouse_and_project(project, tmp_path):
    project.model("base", "select 1")
    result = project.riftlab("query", "select 1")
    assert result.returncode == 1 and "No warehouse at" in result.stderr and "riftlab build" in result.stderr
    elsewhere = subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "ls"], cwd=tmp_path, capture_output=True, text=True
    )
    assert elsewhere.returncode == 1 and "no riftlab.yaml here" in elsewhere.stderr


def test_locked_warehouse_is_reported_plainly(project):
    project.model("base", "select 1 as id")
    project.riftlab("build", check=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(project.db)!r})
            print('locked', flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = project.riftlab("build")
        assert result.returncode == 1
        assert f"is locked by process {holder.pid}" in result.stderr
        assert "Wait for that command to finish" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_help_ls_and_query_do_not_import_heavy_packages(project):
    project.model("base", "select 1 as id")
    project.riftlab("build", check=True)
    probe = textwrap.dedent(f"""
        import sys
        from riftlab.cli import main
        for args in (["--help"], ["--project-dir", {str(project.root)!r}, "ls"],
                     ["--project-dir", {str(project.root)!r}, "query", "select 1"]):
            try:
                main(args)
            except SystemExit as exc:
                assert not exc.code, exc.code
        heavy = ("torch", "transformers", "scrapy", "sentence_transformers", "great_expectations", "mteb")
        heavy = sorted(m for m in heavy if m in sys.modules)
        print("HEAVY:", ",".join(heavy))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_config_prints_merged_defaults(project):
    import yaml

    project.model("base", "select 1")
    result = project.riftlab("config", "vars", check=True)
    shown = yaml.safe_load(result.stdout)
    assert shown["vars"]["greeting"] == "hello"  # from the project's riftlab.yaml
    assert shown["vars"]["validation_ratio"] == 0.2  # a default
    assert project.riftlab("config", "nope").returncode != 0
