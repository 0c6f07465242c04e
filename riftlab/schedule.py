"""``riftlab schedule``: crawls on cron expressions, one at a time, each followed by build and check.

A crawl is *due* when the next cron time after its last finished crawl's start (``raw.crawl_runs``)
has passed, or when it never finished.  Each crawl runs in its own process
(:func:`riftlab.stages.crawl.crawl_in_child`): a Twisted reactor starts once per process, and a
crashed crawl must not take the scheduler down.  Build and check then run in this process, as
``riftlab run``'s stages.  A lock file (``crawl.schedule_lock``) keeps two schedulers (a cron
``--once`` overlapping a long crawl, say) from running at once.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from croniter import croniter

from warehouse import db
from warehouse.errors import RiftlabError


class ScheduleLocked(RiftlabError):
    """Another scheduler holds the lock (EX_TEMPFAIL: try again later)."""

    exit_code = 75


@contextmanager
def schedule_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``path`` (released when the process dies, too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ScheduleLocked(
                f"another `riftlab schedule` holds {path} (pid {holder}); not starting a second one"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


@dataclass
class ScheduledCrawl:
    """One due crawl the scheduler ran: its exit code, summary line, and whether build/check after it passed."""

    spider: str
    returncode: int
    summary: str
    after_ok: bool = True  # build/check after the crawl succeeded (or did not run)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.after_ok


class Scheduler:
    def __init__(self, project, after: bool = True, echo: Callable[[str], None] = print):
        self.project = project
        self.after = after
        self.echo = echo
        # spiders and cron expressions are checked when riftlab.yaml loads; '' or null: never scheduled
        self.schedules: dict[str, str] = {s: e for s, e in project.config["schedules"].items() if e}
        self.lock_path = project.root / project.config["crawl"]["schedule_lock"]

    # -- what is due ---------------------------------------------------------------------------
    def last_finished(self) -> dict[str, datetime]:
        """Start time of each spider's last finished crawl (nothing when the warehouse is new)."""
        if not self.project.db_path.exists():
            return {}
        con = db.connect(self.project.db_path, read_only=True)
        try:
            if not db.table_exists(con, "raw", "crawl_runs"):
                return {}
            rows = con.execute(
                "SELECT spider, max(started_at) FROM raw.crawl_runs WHERE status = 'finished' GROUP BY spider"
            ).fetchall()
        finally:
            con.close()
        return dict(rows)

    def due(self, now: datetime | None = None) -> list[str]:
        now = now or db.utcnow()
        last = self.last_finished()
        return [
            spider
            for spider, expression in self.schedules.items()
            if spider not in last or croniter(expression, last[spider]).get_next(datetime) <= now
        ]

    def next_due_at(self) -> datetime:
        last = self.last_finished()
        now = db.utcnow()
        times = [croniter(e, last.get(s, now)).get_next(datetime) for s, e in self.schedules.items()]
        return min(times) if times else now + timedelta(hours=1)

    # -- running -------------------------------------------------------------------------------
    def crawl(self, spider: str) -> ScheduledCrawl:
        from riftlab.stages.crawl import crawl_in_child

        self.echo(f"schedule: crawling {spider}")
        child = crawl_in_child(self.project, [spider])
        summary = child.summary if child.returncode == 0 else child.reason()
        self.echo(f"schedule: {summary}")
        return ScheduledCrawl(spider, child.returncode, summary)

    def after_crawl(self) -> bool:
        """Run the ``crawl.after_crawl`` stages (build, check) in order, in this process; stop at a failure."""
        from rich.console import Console

        from riftlab.run import STAGES, run_stages

        wanted = self.project.config["crawl"]["after_crawl"]
        stages = tuple(s for name in wanted for s in STAGES if s.name == name)
        for outcome in run_stages(self.project, stages, Console(quiet=True)):
            self.echo(f"schedule: {outcome.stage.name} {outcome.status}: {outcome.summary}")
            if outcome.exit_code:
                return False
        return True

    def run_due(self) -> list[ScheduledCrawl]:
        outcomes = []
        for spider in self.due():
            outcome = self.crawl(spider)
            outcomes.append(outcome)
            if self.after and outcome.returncode in (0, 1):  # 1 = landed, with some page errors
                outcome.after_ok = self.after_crawl()
        return outcomes

    def run_once(self) -> list[ScheduledCrawl]:
        with schedule_lock(self.lock_path):
            return self.run_due()

    def run_forever(self, poll_seconds: float = 60.0) -> None:
        with schedule_lock(self.lock_path):
            self.echo(f"schedule: {len(self.schedules)} schedule(s); Ctrl-C to stop")
            while True:
                self.run_due()
                wait = (self.next_due_at() - db.utcnow()).total_seconds()
                time.sleep(min(max(wait, 1.0), poll_seconds))
