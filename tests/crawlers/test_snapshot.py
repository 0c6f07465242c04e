"""The real 171-champion snapshot, served on loopback (meraki) and read over file:// (ddragon)."""

from __future__ import annotations

import json

from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject


def test_snapshot_lands_171_champions_with_the_files_positions(snapshot_dir, tmp_path):
    project = CrawlProject(root=tmp_path, db=tmp_path / "warehouse.duckdb")
    project.configure({"name": "snapshot"})
    with FixtureServer(snapshot_dir) as server:
        meraki = project.run("crawl", "meraki", "--url", f"{server.url}/meraki/champions.json")
    assert meraki.returncode == 0, meraki.stdout + meraki.stderr
    ddragon = project.run("crawl", "ddragon", "--url", (snapshot_dir / "ddragon" / "champion.json").as_uri())
    assert ddragon.returncode == 0, ddragon.stdout + ddragon.stderr

    source = json.loads((snapshot_dir / "meraki" / "champions.json").read_text(encoding="utf-8"))
    positions = dict(
        project.query(
            "SELECT champion, list(value ORDER BY value) FROM raw.facts "
            "WHERE source = 'meraki' AND fact_type = 'position' GROUP BY champion"
        )
    )
    assert len(source) == 171
    assert positions == {key: sorted(entry["positions"]) for key, entry in source.items()}
    assert project.scalar("SELECT count(DISTINCT champion) FROM raw.facts WHERE source = 'ddragon'") == 171
    assert project.scalar("SELECT count(*) FROM raw.documents WHERE source = 'meraki' AND entity_type = 'lore'") == 171
    assert project.scalar("SELECT count(*) FROM raw.crawl_errors") == 0
