"""The crawl stage of ``riftlab run``: every source, offline, against the bundled fixture sites."""

from __future__ import annotations

import io

from rich.console import Console

from crawlers.stage import run_stage
from warehouse.project import Project


def test_stage_crawls_every_source_offline_and_is_incremental(tmp_path):
    (tmp_path / "riftlab.yaml").write_text("name: stage-test\n")
    project = Project.load(tmp_path, tmp_path / "warehouse.duckdb")
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
