"""The crawl stage of ``riftlab run``: every source, offline, against the bundled fixture sites.

The crawl runs in a child process (``python -m crawlers crawl --all
--offline``): Twisted's reactor cannot start twice in one process, and
``riftlab run`` (or a test calling it) must stay free to run again.
"""

from __future__ import annotations

import subprocess
import sys

from warehouse.errors import RiftlabError


class CrawlStageFailed(RiftlabError):
    """The offline crawl failed or recorded page errors."""


def run_stage(project, console) -> str:
    command = [sys.executable, "-m", "crawlers", "crawl", "--all", "--offline",
               "--project-dir", str(project.root), "--db", str(project.db_path)]
    with console.status("crawling the fixture sites on 127.0.0.1 ..."):
        done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        console.print(line, markup=False, highlight=False)
    summary = lines[-1] if lines else ""
    if done.returncode != 0:
        detail = summary or (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CrawlStageFailed(f"offline crawl failed (exit {done.returncode}): {detail}")
    return summary
