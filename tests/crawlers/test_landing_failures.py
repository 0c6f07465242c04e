"""A warehouse that cannot take the rows: one line, a non-zero exit, within seconds.

Issue 14, row 4 and a weak spot.
"""

from __future__ import annotations

import json
import resource
import subprocess
import time

import duckdb

#: bytes any file of the crawl process may grow to: the warehouse's write-ahead log fills it mid-crawl
FILE_SIZE_LIMIT = 2_000_000
#: copies of the fixture champions: enough rows to pass the limit several times over
COPIES = 40


def _big_champions(sites) -> str:
    """The fixture champions.json, ``COPIES`` times under new keys; its path on the fixture server."""
    path = sites / "meraki" / "champions.json"
    champions = json.loads(path.read_text(encoding="utf-8"))
    big = {f"{key}{i}": {**entry, "key": f"{key}{i}"} for i in range(COPIES) for key, entry in champions.items()}
    (sites / "big").mkdir()
    (sites / "big" / "champions.json").write_text(json.dumps(big), encoding="utf-8")
    return "/big/champions.json"


def _file_size_limit() -> None:
    """In the crawl's process: writes past the limit fail with EFBIG (Python ignores SIGXFSZ)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_a_full_disk_stops_the_crawl_at_the_first_failed_write(project, server, sites):
    path = _big_champions(sites)
    started = time.monotonic()
    process = project.start("crawl", "meraki", "--url", server.url + path, preexec_fn=_file_size_limit)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the crawl did not stop after its write failed") from None
    seconds = time.monotonic() - started

    assert process.returncode == 1
    assert seconds < 30
    assert len(stderr) < 1000, stderr[:2000]  # one line, not a traceback per item
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert str(project.db) in lines[0] and "File too large" in lines[0] and "Free space" in lines[0]

    # what landed before the failure stays, and the run says it failed and why
    status, landed, error = project.query("SELECT status, landed, error FROM raw.crawl_runs")[0]
    assert status == "failed" and "File too large" in error
    rows = project.scalar("SELECT count(*) FROM raw.documents") + project.scalar("SELECT count(*) FROM raw.facts")
    assert 0 < rows == landed
    assert "failed" in stdout.decode().strip().splitlines()[-1]


def test_a_locked_warehouse_is_one_line(project):
    project.db.parent.mkdir(parents=True)
    holder = duckdb.connect(str(project.db))
    try:
        done = project.run("crawl", "meraki", "ddragon")
    finally:
        holder.close()
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"The warehouse {project.db} is locked by process" in done.stderr
    assert project.query("SELECT table_name FROM information_schema.tables") == []  # nothing written


def test_a_warehouse_path_that_cannot_be_made_is_one_line(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    project.db = blocker / "warehouse.duckdb"
    done = project.run("crawl", "meraki")
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: Cannot create the warehouse's folder {blocker}: File exists; pass --db PATH"
