"""The crawl stage of ``riftlab run``, and the child process every in-process caller crawls through.

On a real project the stage crawls every configured source (``sources.<spider>.start_urls``
not empty); in the demo (``riftlab run --demo``) it crawls the bundled fixture sites,
served on 127.0.0.1, into the demo's own warehouse.

A crawl runs in a child process (``python -m riftlab crawl ... --results FILE``): Twisted's
reactor cannot start twice in one process, and ``riftlab run``, the scheduler and tests must
stay free to run again.  The child writes its typed results to FILE; nothing parses its output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crawlers.runner import CrawlResult, summarize
from warehouse.errors import RiftlabError, StageSkipped


class CrawlStageFailed(RiftlabError):
    """The crawl failed or recorded page errors."""


@dataclass
class ChildCrawl:
    """What a crawl child process did: its exit status, the crawls that ran, and why it failed."""

    returncode: int
    results: list[CrawlResult]
    error: str | None

    @property
    def summary(self) -> str:
        return summarize([r for r in self.results if r.crawl_run_id])

    def reason(self) -> str:
        """Why it failed, in one line: the refusal or error it raised, else the crawls' summary."""
        return self.error or self.summary


#: the child's live progress lines on stderr (crawlers/progress.py): "wiki: 12 pages, 30 items, 0 errors in 3s (...)"
PROGRESS_LINE = re.compile(r"^\w+: \d+ pages, \d+ items, \d+ errors in ")


def crawl_in_child(project, arguments: list[str], on_progress: Callable[[str], None] | None = None) -> ChildCrawl:
    """Run ``riftlab crawl ARGUMENTS`` on ``project`` in a child process and read back its results.

    ``on_progress`` gets each progress line the child writes while it crawls.
    """
    with tempfile.TemporaryDirectory(prefix="riftlab-crawl-") as folder:
        results_file = Path(folder) / "results.json"
        command = [
            sys.executable,
            "-m",
            "riftlab",
            "crawl",
            *arguments,
            "--results",
            str(results_file),
            "--project-dir",
            str(project.root),
            "--db",
            str(project.db_path),
        ]
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as child:
            stderr: list[str] = []
            for line in child.stderr:
                if PROGRESS_LINE.match(line):
                    if on_progress is not None:
                        on_progress(line.strip())
                elif line.strip():
                    stderr.append(line.rstrip("\n"))
        if not results_file.is_file():  # it stopped before crawling (bad arguments, a crash)
            return ChildCrawl(child.returncode, [], stderr[-1] if stderr else f"exit {child.returncode}, no output")
        payload = json.loads(results_file.read_text(encoding="utf-8"))
    results = [CrawlResult(**row) for row in payload["results"]]
    return ChildCrawl(child.returncode, results, payload["error"])


def configured_sources(project) -> list[str]:
    """Spiders whose ``sources.<spider>.start_urls`` is set, in the order of riftlab.yaml's defaults."""
    return [name for name, options in project.config["sources"].items() if (options or {}).get("start_urls")]


def run_stage(project, console) -> str:
    if project.demo:
        arguments, what = ["--all", "--offline"], "the bundled fixture sites on 127.0.0.1"
    else:
        arguments = configured_sources(project)
        if not arguments:
            raise StageSkipped("no source has start_urls in riftlab.yaml (sources.<spider>.start_urls)")
        what = ", ".join(arguments)
    with console.status(f"crawling {what} ...") as status:
        child = crawl_in_child(project, arguments, lambda line: status.update(f"crawling {what}: {line}"))
    for result in child.results:
        if result.crawl_run_id:
            console.print(f"  {result.line()}  [{result.crawl_run_id}]", markup=False, highlight=False)
    if child.returncode != 0:
        raise CrawlStageFailed(f"crawl failed (exit {child.returncode}): {child.reason()}")
    return child.summary
