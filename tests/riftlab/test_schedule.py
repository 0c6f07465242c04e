"""``schedule --once`` runs only the crawls that are due, and never while another scheduler holds the lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from riftlab.schedule import schedule_lock
from tests.crawlers.project import CrawlProject
from warehouse import db

NOW = db.utcnow()


@pytest.fixture
def project(tmp_path: Path, server) -> CrawlProject:
    """Here a crawl project (not the shell's TempProject): the scheduler crawls the fixture server."""
    return CrawlProject.serving(tmp_path / "project", server.url)


def _configure(project, server):
    project.configure(
        {
            "name": "t",
            "sources": {
                "meraki": {"start_urls": [f"{server.url}/meraki/champions.json"]},
                "ddragon": {"start_urls": [f"{server.url}/ddragon/cdn/14.3.1/data/en_US/champion.json"]},
            },
            # hourly meraki, yearly ddragon; the others are switched off
            "schedules": {"meraki": "0 * * * *", "ddragon": "0 0 1 1 *", "wiki": "", "coaching": "", "forum": ""},
            "crawl": {"after_crawl": []},
        }
    )


def _past_run(project, spider: str, started: datetime, status: str = "finished") -> None:
    con = db.connect(project.db)
    db.ensure_schemas(con)
    con.execute(
        "INSERT INTO raw.crawl_runs (crawl_run_id, spider, started_at, finished_at, status) VALUES (?, ?, ?, ?, ?)",
        [f"{spider}-past-{status}", spider, started, started + timedelta(minutes=1), status],
    )
    con.close()


def test_once_runs_only_due_crawls(project, server):
    _configure(project, server)
    _past_run(project, "meraki", NOW - timedelta(hours=2))  # hourly: due
    _past_run(project, "ddragon", NOW - timedelta(minutes=5))  # yearly: not due (unless a new year began)
    _past_run(project, "ddragon", NOW - timedelta(days=800), "failed")

    done = project.run("schedule", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    new_runs = project.query("SELECT spider, status FROM raw.crawl_runs WHERE crawl_run_id NOT LIKE '%-past-%'")
    expected = [("meraki", "finished")] + ([("ddragon", "finished")] if NOW.month == 1 and NOW.day == 1 else [])
    assert sorted(new_runs) == sorted(expected)
    assert "1 crawl(s) run, 0 with errors" in done.stdout

    again = project.run("schedule", "--once")  # meraki just finished: nothing due now
    assert again.returncode == 0 and "nothing due" in again.stdout


def test_once_respects_the_lock(project, server):
    _configure(project, server)
    with schedule_lock(project.root / "data" / "schedule.lock"):
        done = project.run("schedule", "--once")
    assert done.returncode == 75
    assert "another `riftlab schedule` holds" in done.stderr
    assert not project.db.exists() or project.scalar("SELECT count(*) FROM raw.crawl_runs") == 0
