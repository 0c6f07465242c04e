"""A crawl killed outright does not stay ``running`` forever: the next crawl closes it (issue 14, weak spot)."""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime

import psutil

from crawlers.runner import CrawlSpec, scrapy_settings
from warehouse import db
from warehouse.project import Project


def _insert_run(project, run_id: str, pid: int | None, pid_started: float | None) -> None:
    con = db.connect(project.db)
    db.ensure_schemas(con)
    con.execute(
        "INSERT INTO raw.crawl_runs (crawl_run_id, spider, started_at, status, origin, host, pid, pid_started)"
        " VALUES (?, 'forum', ?, 'running', 'live', ?, ?, ?)",
        [run_id, datetime.now(), socket.gethostname(), pid, pid_started],
    )
    con.close()


def test_a_sigkilled_crawl_is_closed_as_failed_by_the_next_crawl(project, server):
    server.delay = 0.2  # slow pages: the crawl is still running when it is killed
    process = project.start("crawl", "wiki")
    deadline = time.monotonic() + 30
    while not any("api.php" in r for r in server.requests):
        assert time.monotonic() < deadline and process.poll() is None, "the crawl did not start"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert project.query("SELECT status, pid FROM raw.crawl_runs") == [("running", process.pid)]

    # a run whose process lives (this one) and a run without an owner (landed before owners were recorded) stay
    _insert_run(project, "alive", os.getpid(), psutil.Process().create_time())
    _insert_run(project, "ownerless", None, None)

    server.delay = 0.0
    done = project.run("crawl", "meraki")
    assert done.returncode == 0, done.stdout + done.stderr
    runs = {
        run_id: (status, error)
        for run_id, status, error in project.query(
            "SELECT crawl_run_id, status, error FROM raw.crawl_runs WHERE spider <> 'meraki'"
        )
    }
    killed = [(status, error) for run_id, (status, error) in runs.items() if run_id.startswith("wiki-")]
    assert len(killed) == 1
    status, error = killed[0]
    assert status == "failed"
    assert error.startswith(f"abandoned: process {process.pid} on {socket.gethostname()} ended without closing the run")
    assert runs["alive"] == ("running", None) and runs["ownerless"] == ("running", None)
    assert project.scalar("SELECT status FROM raw.crawl_runs WHERE spider = 'meraki'") == "finished"


def test_a_reused_pid_does_not_keep_a_dead_run_open(project, server):
    """The pid of the dead crawl now belongs to another process (here: this one, started at another time)."""
    _insert_run(project, "reused", os.getpid(), psutil.Process().create_time() - 3600)
    done = project.run("crawl", "meraki")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.scalar("SELECT status FROM raw.crawl_runs WHERE crawl_run_id = 'reused'") == "failed"


def test_scrapy_settings_carry_the_page_cap_and_the_origin(tmp_path):
    (tmp_path / "riftlab.yaml").write_text("name: t\ncrawl:\n  max_page_bytes: 4096\n", encoding="utf-8")
    project = Project.load(tmp_path, tmp_path / "warehouse.duckdb")
    specs = [CrawlSpec("meraki", ["http://127.0.0.1:1/champions.json"])]
    settings = scrapy_settings(project, specs, origin="fixture")
    assert settings.getint("RIFTLAB_MAX_PAGE_BYTES") == 4096
    assert settings.get("RIFTLAB_ORIGIN") == "fixture"
    assert scrapy_settings(project, specs).get("RIFTLAB_ORIGIN") == "live"
