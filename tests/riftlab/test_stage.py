"""The crawl stage of ``riftlab run``: the configured sources for the real job, the fixture sites for the demo.

The demo never writes into a warehouse of real data (issue 14, row 1).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from rich.console import Console

from riftlab.stages.crawl import CrawlStageFailed, configured_sources, run_stage
from warehouse.project import Project

REPO = Path(__file__).resolve().parents[2]


def riftlab(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    return subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "--project-dir", str(root), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        timeout=300,
    )


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = ["raw.documents", "raw.facts", "raw.crawl_runs", "main.champions"]
        present = {
            f"{s}.{n}"
            for s, n in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables if t in present}
    finally:
        con.close()


@pytest.fixture
def real_project(tmp_path: Path, snapshot_dir: Path) -> Path:
    """A project whose configured sources are the real snapshot (meraki and ddragon) and nothing else."""
    root = tmp_path / "real"
    root.mkdir()
    sources = {name: {"start_urls": []} for name in ("wiki", "coaching", "forum")}
    sources["meraki"] = {"start_urls": [(snapshot_dir / "meraki" / "champions.json").as_uri()]}
    sources["ddragon"] = {"start_urls": [(snapshot_dir / "ddragon" / "champion.json").as_uri()]}
    config = {
        "name": "real",
        "warehouse": {"path": "data/real.duckdb"},
        "sources": sources,
        "paths": {"transforms": str(REPO / "transforms")},
    }
    (root / "riftlab.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def test_demo_stage_crawls_every_source_offline_and_is_incremental(tmp_path):
    (tmp_path / "riftlab.yaml").write_text("name: stage-test\n")
    project = Project.load(tmp_path, tmp_path / "warehouse.duckdb").as_demo()
    assert project.db_path == tmp_path / "warehouse.duckdb"  # --db given: the demo uses it
    console = Console(file=io.StringIO())

    summary = run_stage(project, console)
    assert summary.startswith("crawled meraki, ddragon, wiki, coaching, forum:") and " 0 errors" in summary
    con = project.connect(read_only=True)
    sources = dict(con.execute("SELECT source, count(*) FROM raw.documents GROUP BY source").fetchall())
    urls = {u for (u,) in con.execute("SELECT DISTINCT split_part(url, '/', 3) FROM raw.documents").fetchall()}
    con.close()
    assert set(sources) == {"meraki", "ddragon", "wiki", "coaching", "forum"}
    assert urls == {"fixtures.riftlab.invalid"}  # stable URLs, whatever port the server got

    assert "0 rows landed" in run_stage(project, console)  # a second offline run lands nothing new


def test_demo_has_a_warehouse_reports_and_runs_of_its_own(tmp_path):
    (tmp_path / "riftlab.yaml").write_text("name: demo-paths\nwarehouse:\n  path: data/real.duckdb\n")
    project = Project.load(tmp_path)
    demo = project.as_demo()
    assert project.db_path == tmp_path / "data" / "real.duckdb" and not project.demo
    assert demo.demo and demo.db_path == tmp_path / "data" / "demo" / "riftlab.duckdb"
    assert demo.reports_dir == tmp_path / "data" / "demo" / "reports"
    assert Path(demo.config["training"]["output_dir"]) == tmp_path / "data" / "demo" / "runs"
    assert project.reports_dir == tmp_path / "reports"  # the project itself is unchanged

    result = riftlab(tmp_path, "run", "--demo", "--only", "crawl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo warehouse" in result.stdout and str(demo.db_path) in result.stdout.replace("\n", "")
    assert demo.db_path.is_file() and not project.db_path.exists()


def test_real_stage_crawls_the_configured_sources_only(real_project):
    project = Project.load(real_project)
    assert configured_sources(project) == ["meraki", "ddragon"]
    summary = run_stage(project, Console(file=io.StringIO()))
    assert summary.startswith("crawled meraki, ddragon:") and " 0 errors" in summary
    con = project.connect(read_only=True)
    assert {s for (s,) in con.execute("select distinct source from raw.documents").fetchall()} == {"meraki", "ddragon"}
    assert con.execute("select count(distinct champion) from raw.facts").fetchone()[0] == 171
    con.close()


def test_demo_refuses_a_warehouse_of_real_data_and_changes_nothing(real_project):
    """Row 1: the fixture sites must never land in a warehouse that holds the real snapshot."""
    db = real_project / "data" / "real.duckdb"
    assert riftlab(real_project, "run", "--only", "crawl").returncode == 0
    built = riftlab(real_project, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    before = counts(db)
    assert before["main.champions"] == 171

    result = riftlab(real_project, "--db", str(db), "run", "--demo")
    assert result.returncode == 1
    assert "real" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert counts(db) == before

    with pytest.raises(CrawlStageFailed):
        run_stage(Project.load(real_project, db).as_demo(), Console(file=io.StringIO()))
    assert counts(db) == before
