"""Fixture and live crawl data never meet: a refused crawl says why in one line and writes nothing (issue 14, row 1)."""

from __future__ import annotations

import duckdb
import polars as pl

from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject


def _refused(done, target) -> str:
    """The one stderr line of a refused crawl or import, checked for what it must say."""
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: Nothing landed: ") and str(target) in lines[0]
    assert "riftlab run --demo" in lines[0]
    return lines[0]


def test_the_real_snapshot_and_the_fixture_sites_never_share_a_warehouse(snapshot_dir, tmp_path):
    real = CrawlProject(root=tmp_path, db=tmp_path / "real.duckdb")
    real.configure({"name": "real"})
    with FixtureServer(snapshot_dir) as server:  # a user's loopback URL: live, like any URL a user passes
        meraki = real.run("crawl", "meraki", "--url", f"{server.url}/meraki/champions.json")
    assert meraki.returncode == 0, meraki.stdout + meraki.stderr
    ddragon_url = (snapshot_dir / "ddragon" / "champion.json").as_uri()
    ddragon = real.run("crawl", "ddragon", "--url", ddragon_url)
    assert ddragon.returncode == 0, ddragon.stdout + ddragon.stderr
    assert real.query("SELECT DISTINCT origin FROM raw.crawl_runs") == [("live",)]
    before = real.counts()

    demo = real.run("crawl", "--all", "--offline")
    line = _refused(demo, real.db)
    assert "2 crawl run(s) from live sources" in line and "--db" in line
    assert demo.stdout == ""
    assert real.counts() == before

    # the reverse: a warehouse of fixture data refuses the real snapshot
    fixture = CrawlProject(root=tmp_path, db=tmp_path / "demo.duckdb")
    landed = fixture.run("crawl", "meraki", "--offline")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert fixture.query("SELECT DISTINCT origin FROM raw.crawl_runs") == [("fixture",)]
    before = fixture.counts()
    line = _refused(fixture.run("crawl", "ddragon", "--url", ddragon_url), fixture.db)
    assert "1 crawl run(s) from the bundled fixture sites" in line
    assert fixture.counts() == before


def test_rows_landed_before_origins_were_recorded_count_as_live(project, server):
    """An older warehouse gains the column at its next writable connect; its crawl runs are live."""
    project.db.parent.mkdir(parents=True)
    con = duckdb.connect(str(project.db))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.crawl_runs (crawl_run_id VARCHAR NOT NULL, spider VARCHAR NOT NULL, "
        "start_urls VARCHAR[], started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status VARCHAR NOT NULL, "
        "items BIGINT DEFAULT 0, landed BIGINT DEFAULT 0, errors BIGINT DEFAULT 0)"
    )
    con.execute("INSERT INTO raw.crawl_runs VALUES ('old', 'meraki', [], now(), now(), 'finished', 1, 1, 0)")
    con.close()

    _refused(project.run("crawl", "meraki", "--offline"), project.db)
    assert project.scalar("SELECT count(*) FROM raw.crawl_runs") == 1

    live = project.run("crawl", "meraki")
    assert live.returncode == 0, live.stdout + live.stderr
    assert project.query("SELECT origin FROM raw.crawl_runs WHERE crawl_run_id = 'old'") == [(None,)]
    assert project.query("SELECT origin FROM raw.crawl_runs WHERE crawl_run_id <> 'old'") == [("live",)]


def _landing_runs(folder) -> list[tuple[str, str]]:
    frame = pl.read_parquet(folder / "crawl_runs" / "*.parquet", columns=["spider", "origin"])
    return sorted(frame.iter_rows())


def test_parquet_landing_and_its_import_carry_the_origin_and_refuse_mixing(project, server, tmp_path):
    landing = project.root / "data" / "landing"
    fixture = project.run("crawl", "meraki", "--offline", "--sink", "parquet")
    assert fixture.returncode == 0, fixture.stdout + fixture.stderr
    assert _landing_runs(landing) == [("meraki", "fixture")]
    files = sorted(landing.rglob("*.parquet"))

    # live rows into the fixture folder: refused before a file is written
    line = _refused(project.run("crawl", "ddragon", "--sink", "parquet"), landing)
    assert "crawl.parquet_dir" in line
    assert sorted(landing.rglob("*.parquet")) == files

    # the fixture folder into a live warehouse: refused, the warehouse unchanged
    live = project.run("crawl", "ddragon")
    assert live.returncode == 0, live.stdout + live.stderr
    before = project.counts()
    _refused(project.run("import-landing", str(landing)), project.db)
    assert project.counts() == before

    # into a warehouse of its own it imports, origin and all
    demo = CrawlProject(root=project.root, db=tmp_path / "demo.duckdb")
    imported = demo.run("import-landing", str(landing))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert demo.query("SELECT spider, origin FROM raw.crawl_runs") == [("meraki", "fixture")]
    assert demo.scalar("SELECT count(*) FROM raw.facts") > 0


def test_import_landing_takes_a_folder_whose_name_has_a_quote(project, tmp_path):
    """Row 13: the folder's path is a parameter, never spliced into SQL."""
    folder = tmp_path / "bob's land"
    project.configure({"name": "t", "crawl": {"parquet_dir": str(folder)}})
    landed = project.run("crawl", "meraki", "--offline", "--sink", "parquet")
    assert landed.returncode == 0, landed.stdout + landed.stderr

    imported = project.run("import-landing", str(folder))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "1 crawl_runs" in imported.stdout
    facts = pl.read_parquet(folder / "facts" / "*.parquet").height
    assert project.scalar("SELECT count(*) FROM raw.facts") == facts > 0
