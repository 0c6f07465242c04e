"""A crawl project on disk whose `riftlab` commands run as ``python -m riftlab ...`` subprocesses.

Crawls run in subprocesses: a Twisted reactor starts once per process, and each test wants fresh crawls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from crawlers.fixtures import OFFLINE_START

REPO = Path(__file__).resolve().parents[2]


def offline_sources(base_url: str) -> dict:
    """``sources`` pointing every spider at the fixture server."""
    return {spider: {"start_urls": [base_url + path for path in paths]} for spider, paths in OFFLINE_START.items()}


@dataclass
class CrawlProject:
    root: Path
    db: Path

    @classmethod
    def serving(cls, root: Path, base_url: str) -> CrawlProject:
        """A new project in ``root`` whose every source is the fixture server at ``base_url``."""
        root.mkdir()
        project = cls(root=root, db=root / "data" / "warehouse.duckdb")
        project.configure({"name": "crawl-test", "sources": offline_sources(base_url)})
        return project

    def configure(self, config: dict) -> None:
        (self.root / "riftlab.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "riftlab", *args, "--project-dir", str(self.root), "--db", str(self.db)]

    @staticmethod
    def env() -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("RIFTLAB_DB", None)
        return env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*args), capture_output=True, text=True, timeout=timeout, cwd=REPO, env=self.env()
        )

    def start(self, *args: str, **popen) -> subprocess.Popen:
        """Start ``python -m riftlab ARGS`` without waiting (to signal or kill it)."""
        return subprocess.Popen(
            self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=self.env(), **popen
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]

    def counts(self) -> dict[str, int]:
        """Rows of every table a crawl lands in."""
        return {
            table: self.scalar(f"SELECT count(*) FROM raw.{table}")
            for table in ("documents", "facts", "crawl_seen", "crawl_errors", "crawl_runs")
        }
