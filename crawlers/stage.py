"""The crawl stage of ``riftlab run``.

On a real project it crawls every configured source (``sources.<spider>.start_urls``
not empty); in the demo (``riftlab run --demo``) it crawls the bundled fixture sites,
served on 127.0.0.1, into the demo's own warehouse.

The crawl runs in a child process (``python -m crawlers crawl ...``): Twisted's
reactor cannot start twice in one process, and ``riftlab run`` (or a test calling
it) must stay free to run again.
"""

from __future__ import annotations

import subprocess
import sys

from warehouse.errors import RiftlabError, StageSkipped


class CrawlStageFailed(RiftlabError):
    """The crawl failed or recorded page errors."""


def configured_sources(project) -> list[str]:
    """Spiders whose ``sources.<spider>.start_urls`` is set, in the order of riftlab.yaml's defaults."""
    return [name for name, options in project.config["sources"].items() if (options or {}).get("start_urls")]


def run_stage(project, console) -> str:
    if project.demo:
        spiders, what = ["--all", "--offline"], "the bundled fixture sites on 127.0.0.1"
    else:
        spiders = configured_sources(project)
        if not spiders:
            raise StageSkipped("no source has start_urls in riftlab.yaml (sources.<spider>.start_urls)")
        what = ", ".join(spiders)
    command = [sys.executable, "-m", "crawlers", "crawl", *spiders,
               "--project-dir", str(project.root), "--db", str(project.db_path)]
    with console.status(f"crawling {what} ..."):
        done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        console.print(line, markup=False, highlight=False)
    summary = lines[-1] if lines else ""
    if done.returncode != 0:
        stderr = [line for line in done.stderr.splitlines() if line.strip()]
        refusals = [line.removeprefix("error: ") for line in stderr if line.startswith("error: ")]
        detail = refusals[-1] if refusals else summary or (stderr[-1] if stderr else "no output")
        raise CrawlStageFailed(f"crawl failed (exit {done.returncode}): {detail}")
    return summary
