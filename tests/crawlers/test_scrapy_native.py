"""`scrapy crawl NAME` from the repository, and `riftlab crawl -s/-a`: the same crawl either way.

Both run as subprocesses from the repository root (its scrapy.cfg and riftlab.yaml), against the
loopback fixture wiki; RIFTLAB_DB / --db keep the warehouse in the test's folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.crawlers.project import REPO

#: raw.documents columns that differ between two crawls of the same pages (run ids, fetch times)
PER_RUN = ("crawl_run_id", "fetched_at")


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "RIFTLAB_DB": str(db)}


def scrapy_crawl(db: Path, *args: str) -> subprocess.CompletedProcess:
    """``scrapy crawl ARGS`` in the repository root, landing in ``db``."""
    scrapy = [sys.executable, "-c", "from scrapy.cmdline import execute; execute()"]
    return subprocess.run(
        [*scrapy, "crawl", *args], cwd=REPO, env=_env(db), capture_output=True, text=True, timeout=120
    )


def riftlab_crawl(db: Path, *args: str) -> subprocess.CompletedProcess:
    """``riftlab crawl ARGS`` on the repository's project, landing in ``db``."""
    env = _env(db)
    env.pop("RIFTLAB_DB")
    return subprocess.run(
        [sys.executable, "-m", "riftlab", "crawl", *args, "--db", str(db)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def documents(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = [c for (c,) in con.execute("SELECT name FROM pragma_table_info('raw.documents')").fetchall()]
        kept = [c for c in columns if c not in PER_RUN]
        return sorted(con.execute(f"SELECT {', '.join(kept)} FROM raw.documents").fetchall(), key=repr)
    finally:
        con.close()


def test_scrapy_crawl_lands_what_riftlab_crawl_lands(tmp_path, server):
    server.delay = 0.05  # every request takes a moment: the progress line comes up before the end
    api = f"{server.url}/wiki/en-us/api.php"
    native = scrapy_crawl(
        tmp_path / "scrapy.duckdb", "wiki", "-a", f"start_urls={api}", "-s", "RIFTLAB_PROGRESS_INTERVAL=0.05"
    )
    assert native.returncode == 0, native.stderr[-2000:]
    lines = native.stderr.splitlines()
    progress = [line for line in lines if line.startswith("wiki: ") and " pages/s, " in line]
    assert progress, native.stderr[-2000:]
    summary = [line for line in lines if line.startswith("wiki: finished, ")]
    assert len(summary) == 1 and " 0 errors " in summary[0], native.stderr[-2000:]

    riftlab = riftlab_crawl(tmp_path / "riftlab.duckdb", "wiki", "--url", api)
    assert riftlab.returncode == 0, riftlab.stderr[-2000:]
    assert "wiki: finished, " not in riftlab.stderr  # it prints its own results, no second summary

    landed = documents(tmp_path / "scrapy.duckdb")
    assert len(landed) > 10
    assert landed == documents(tmp_path / "riftlab.duckdb")
    # one start URL, not one per character: every request went to the fixture wiki's api.php
    assert all(r.startswith("/wiki/en-us/api.php") or r == "/robots.txt" for r in server.requests)


def test_spider_arguments_and_settings_reach_the_crawl(tmp_path, server):
    api = f"{server.url}/wiki/en-us/api.php"
    done = riftlab_crawl(
        tmp_path / "items.duckdb",
        "wiki",
        "-a",
        f"start_urls={api}",
        "-a",
        "categories=Category:Items",
        "-s",
        "ROBOTSTXT_OBEY=False",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "/robots.txt" not in server.requests
    listed = [r for r in server.requests if "list=categorymembers" in r]
    assert listed and all("cmtitle=Category%3AItems" in r for r in listed)
    assert len(documents(tmp_path / "items.duckdb")) > 0


def test_a_bad_spider_argument_is_one_line_and_nothing_runs(tmp_path):
    for done, line in (
        (scrapy_crawl(tmp_path / "never.duckdb", "wiki", "-a", "pagesize=10"), "unknown key 'wiki.pagesize'"),
        (riftlab_crawl(tmp_path / "never.duckdb", "wiki", "-a", "page_size=0"), "wiki.page_size must be "),
    ):
        assert done.returncode == 1
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("error: spider arguments (-a NAME=VALUE): ") and line in last, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "never.duckdb").exists()
