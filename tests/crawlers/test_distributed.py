"""Scale-out for real: two crawl workers share one scrapy-redis queue and dupefilter on a real Redis.

The commands are the README's scale-out section (docs/scale.md): each worker runs
``riftlab crawl wiki --sink parquet -s REDIS_URL=...``, then ``riftlab import-landing`` folds both
workers' Parquet files into the warehouse.  The loopback server's request log shows that no page was
fetched twice, and the warehouse holds exactly what a single-process crawl of the same site lands.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.crawlers.project import CrawlProject

REDIS_SERVER = shutil.which("redis-server")
#: raw.documents columns that differ between two crawls of the same pages (run ids, fetch times)
PER_RUN = ("crawl_run_id", "fetched_at")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path):
    """Debian's redis-server on 127.0.0.1, a free port, no persistence; stopped afterwards."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    import redis

    port = _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def documents(project: CrawlProject) -> list[tuple]:
    columns = [c for (c,) in project.query("SELECT name FROM pragma_table_info('raw.documents')")]
    kept = [c for c in columns if c not in PER_RUN]
    return sorted(project.query(f"SELECT {', '.join(kept)} FROM raw.documents"), key=repr)


def test_two_workers_share_one_queue_and_land_what_one_process_lands(tmp_path, server, project, redis_url):
    import redis

    server.delay = 0.05  # pages take a moment, as real ones do: both workers get their share
    # The README's commands: two workers on one queue, each landing Parquet files, then one import.
    worker = ("crawl", "wiki", "--sink", "parquet", "-s", f"REDIS_URL={redis_url}", "-s", "RIFTLAB_REDIS_WORKERS=2")
    worker += ("-s", "CONCURRENT_REQUESTS=2")
    workers = [project.start(*worker) for _ in range(2)]
    outputs = [w.communicate(timeout=180) for w in workers]
    for process, (_out, err) in zip(workers, outputs, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
    fetched = [r for r in server.requests if r != "/robots.txt"]  # robots.txt: each worker checks it itself
    twice = [url for url, n in Counter(fetched).items() if n > 1]
    assert twice == []
    # "  wiki: finished, N pages, ...": every page was fetched by one worker or the other, and each did some
    pages = [int(re.search(r"wiki: finished, (\d+) pages", out.decode()).group(1)) for out, _ in outputs]
    assert sum(pages) == len(fetched) + 2 and min(pages) > 1, pages  # (+ its robots.txt each)

    imported = project.run("import-landing")
    assert imported.returncode == 0, imported.stderr[-2000:]
    runs = project.query("SELECT status, items FROM raw.crawl_runs ORDER BY items")
    assert [status for status, _ in runs] == ["finished", "finished"]
    assert all(items > 0 for _, items in runs), f"a worker crawled nothing: {runs}"
    assert redis.Redis.from_url(redis_url).keys("wiki:*") == []  # the last worker cleared the crawl's keys

    single = CrawlProject(root=project.root, db=tmp_path / "single.duckdb")
    alone = single.run("crawl", "wiki")
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert sorted(server.requests[len(fetched) + 2 :]) == sorted(["/robots.txt", *fetched])
    assert len(documents(project)) > 10
    assert documents(project) == documents(single)
