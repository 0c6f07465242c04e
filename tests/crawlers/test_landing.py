"""Landing guarantees: SIGINT loses nothing already yielded; the Parquet sink is a drop-in for DuckDB."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from crawlers.sinks import import_parquet
from tests.crawlers.project import REPO, CrawlProject
from warehouse import db

BULK_PAGES = 300


def _bulk_coaching_site(sites, pages: int) -> str:
    """``pages`` generated guide pages behind one index, under /bulk/lol/champions."""
    index = sites / "bulk" / "lol" / "champions"
    index.mkdir(parents=True)
    links = "".join(f'<a href="champions/c{i}/build">c{i}</a>' for i in range(pages))
    (index / "index.html").write_text(f"<html><body>{links}</body></html>")
    for i in range(pages):
        state = {
            "props": {
                "pageProps": {
                    "guide": {
                        "champion": {"key": f"C{i}"},
                        "sections": [{"heading": "Overview", "body": f"<p>Champion {i} is played carefully.</p>"}],
                    }
                }
            }
        }
        page = index / f"c{i}" / "build"
        page.mkdir(parents=True)
        (page / "index.html").write_text(
            f'<html><body><script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script></body></html>'
        )
    return "/bulk/lol/champions"


def test_sigint_flushes_every_yielded_item_and_jobdir_resumes(project, server, sites):
    start = _bulk_coaching_site(sites, BULK_PAGES)
    # one batch larger than the crawl: whatever lands, lands through the flush on close
    project.configure(
        {"name": "t", "warehouse": {"batch_rows": 100000}, "crawl": {"concurrent_requests": 4, "jobdir": "data/jobs"}}
    )
    server.delay = 0.05
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "riftlab",
        "crawl",
        "coaching",
        "--url",
        server.url + start,
        "--project-dir",
        str(project.root),
        "--db",
        str(project.db),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    deadline = time.monotonic() + 60
    while sum("/bulk/lol/champions/c" in r for r in server.requests) < 40:
        assert time.monotonic() < deadline and process.poll() is None, "crawl did not get going"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stdout + stderr  # interrupted: 128 + SIGINT
    status, items, landed = project.query("SELECT status, items, landed FROM raw.crawl_runs")[0]
    assert status == "interrupted"
    assert 0 < items < BULK_PAGES
    assert project.scalar("SELECT count(*) FROM raw.documents") == items == landed
    assert project.scalar("SELECT count(*) FROM raw.crawl_seen") == items
    assert "interrupted" in stdout.strip().splitlines()[-1]

    # the same command resumes from data/jobs/coaching: only the pages not fetched before
    server.delay = 0.0
    resumed = project.run("crawl", "coaching", "--url", server.url + start)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert project.scalar("SELECT count(*) FROM raw.documents") == BULK_PAGES
    assert project.scalar("SELECT count(*) FROM raw.crawl_seen") == BULK_PAGES  # nothing fetched twice
    assert not (project.root / "data" / "jobs" / "coaching").exists()  # finished: the next crawl starts afresh


def test_parquet_sink_lands_the_same_rows_and_stays_incremental(project, tmp_path):
    parquet = project.run("crawl", "meraki", "ddragon", "--sink", "parquet")
    assert parquet.returncode == 0, parquet.stdout + parquet.stderr
    assert not project.db.exists()  # nothing touched the warehouse
    again = project.run("crawl", "meraki", "--sink", "parquet")
    assert "0 rows landed" in again.stdout.strip().splitlines()[-1]

    direct = project.run("crawl", "meraki", "ddragon")
    assert direct.returncode == 0
    merged_project = CrawlProject(root=project.root, db=tmp_path / "merged.duckdb")
    imported = merged_project.run("import-landing")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "3 crawl_runs" in imported.stdout
    merged = db.connect(merged_project.db)
    assert import_parquet(merged, project.root / "data" / "landing")["documents"] == 0  # already imported
    for table in ("documents", "facts"):
        assert merged.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] == project.scalar(
            f"SELECT count(*) FROM raw.{table}"
        )
    # the Parquet side crawled meraki twice: its second run saw everything again and landed nothing
    meraki_seen = project.scalar("SELECT count(*) FROM raw.crawl_seen WHERE source = 'meraki'")
    ddragon_seen = project.scalar("SELECT count(*) FROM raw.crawl_seen WHERE source = 'ddragon'")
    assert merged.execute("SELECT count(*) FROM raw.crawl_seen").fetchone()[0] == 2 * meraki_seen + ddragon_seen
    assert merged.execute("SELECT list(DISTINCT status) FROM raw.crawl_runs").fetchone()[0] == ["finished"]
    merged.close()


def test_facts_a_newer_spider_reads_from_an_unchanged_entry_are_landed(project):
    """A warehouse landed by an older Meraki spider, which did not read adaptiveType, gets it on the next
    crawl although the entry did not change: the content hash covers the facts the spider reads."""
    from crawlers.items import content_hash

    first = project.run("crawl", "meraki")
    assert first.returncode == 0, first.stdout + first.stderr
    entry = json.loads((REPO / "crawlers" / "fixtures" / "sites" / "meraki" / "champions.json").read_text())["Jinx"]
    con = db.connect(project.db)
    try:  # what the older spider had landed: no damage type, hashed over the entry alone
        con.execute(
            "DELETE FROM raw.facts WHERE source = 'meraki' AND champion = 'Jinx' AND fact_type = 'adaptive_type'"
        )
        con.execute(
            "UPDATE raw.facts SET content_hash = ? WHERE source = 'meraki' AND champion = 'Jinx'", [content_hash(entry)]
        )
    finally:
        con.close()
    again = project.run("crawl", "meraki")
    assert again.returncode == 0, again.stdout + again.stderr
    landed = project.query(
        "SELECT champion, value FROM raw.facts WHERE source = 'meraki' AND fact_type = 'adaptive_type' "
        "AND crawl_run_id = (SELECT max(crawl_run_id) FROM raw.facts WHERE source = 'meraki')"
    )
    assert landed == [("Jinx", "PHYSICAL_DAMAGE")]  # Jinx again, every other champion unchanged


def test_a_facts_items_hash_always_covers_its_facts_and_no_spider_can_set_it():
    from crawlers.items import FactsItem

    entry = {"id": "Jinx", "attackType": "RANGED", "adaptiveType": "PHYSICAL_DAMAGE"}
    older = FactsItem("meraki", "Jinx", "u#Jinx", [("attack_type", "RANGED")], entry=entry)
    newer = FactsItem(
        "meraki", "Jinx", "u#Jinx", [("attack_type", "RANGED"), ("adaptive_type", "PHYSICAL_DAMAGE")], entry=entry
    )
    assert older.content_hash != newer.content_hash  # same entry, more facts read: it lands again
    again = FactsItem("meraki", "Jinx", "u#Jinx", [("attack_type", "RANGED")], entry=dict(entry))
    assert again.content_hash == older.content_hash  # unchanged entry, same facts: nothing to land
    with pytest.raises(TypeError):
        FactsItem("meraki", "Jinx", "u#Jinx", [], content_hash="abc")  # the hash is the item's to compute
