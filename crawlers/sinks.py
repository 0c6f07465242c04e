"""Where landed rows go: the DuckDB warehouse, or Parquet files it can read later.

The pipeline speaks to a sink through four calls (:class:`Sink`), so the same
spiders can land straight into ``raw.*`` on one machine, or, scaled out under
scrapy-redis on several, write Parquet files per crawl that
:func:`import_parquet` folds into the warehouse afterwards (DuckDB allows one
writer process; Parquet files allow many).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import polars as pl

from warehouse import db

TABLES = ("documents", "facts", "crawl_seen", "crawl_errors")

#: Column types of the batches, matching warehouse/ddl/raw_*.sql.
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "documents": {
        "document_version_id": pl.Utf8, "source": pl.Utf8, "url": pl.Utf8, "champion": pl.Utf8, "entity": pl.Utf8,
        "entity_type": pl.Utf8, "title": pl.Utf8, "section_path": pl.Utf8, "text": pl.Utf8, "html": pl.Utf8,
        "language": pl.Utf8, "revision_id": pl.Utf8, "etag": pl.Utf8, "content_hash": pl.Utf8,
        "fetched_at": pl.Datetime("us"), "crawl_run_id": pl.Utf8,
    },
    "facts": {
        "champion": pl.Utf8, "fact_type": pl.Utf8, "value": pl.Utf8, "source": pl.Utf8, "url": pl.Utf8,
        "content_hash": pl.Utf8, "fetched_at": pl.Datetime("us"), "crawl_run_id": pl.Utf8,
    },
    "crawl_seen": {"crawl_run_id": pl.Utf8, "source": pl.Utf8, "url": pl.Utf8, "content_hash": pl.Utf8},
    "crawl_errors": {
        "crawl_run_id": pl.Utf8, "spider": pl.Utf8, "url": pl.Utf8, "reason": pl.Utf8, "excerpt": pl.Utf8,
        "occurred_at": pl.Datetime("us"),
    },
}


@dataclass
class CrawlRun:
    """One ``raw.crawl_runs`` row."""

    spider: str
    start_urls: list[str]
    started_at: datetime
    crawl_run_id: str = ""
    finished_at: datetime | None = None
    status: str = "running"
    items: int = 0
    landed: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        if not self.crawl_run_id:
            self.crawl_run_id = f"{self.spider}-{self.started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass
class Batch:
    """Rows gathered since the last flush, per table."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {table: [] for table in TABLES})

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def frames(self) -> dict[str, pl.DataFrame]:
        return {t: pl.DataFrame(r, schema=SCHEMAS[t], orient="row") for t, r in self.rows.items() if r}


class Sink(Protocol):
    def start_run(self, run: CrawlRun) -> None: ...
    def latest_hashes(self, source: str) -> tuple[dict[str, str], dict[str, str]]: ...
    def write(self, batch: Batch, run: CrawlRun) -> None: ...
    def finish_run(self, run: CrawlRun) -> None: ...


class DuckDBSink:
    """Append batches to ``raw.*`` in one transaction each; keep ``raw.crawl_runs`` current."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.con = db.connect(self.path)
        db.ensure_schemas(self.con)

    def start_run(self, run: CrawlRun) -> None:
        self.con.execute(
            "INSERT INTO raw.crawl_runs (crawl_run_id, spider, start_urls, started_at, status, items, landed, errors)"
            " VALUES (?, ?, ?, ?, 'running', 0, 0, 0)",
            [run.crawl_run_id, run.spider, run.start_urls, run.started_at],
        )

    def latest_hashes(self, source: str) -> tuple[dict[str, str], dict[str, str]]:
        documents = self.con.execute(
            "SELECT url, arg_max(content_hash, fetched_at) FROM raw.documents WHERE source = ? GROUP BY url", [source]
        ).fetchall()
        facts = self.con.execute(
            "SELECT champion, arg_max(content_hash, fetched_at) FROM raw.facts WHERE source = ? GROUP BY champion",
            [source],
        ).fetchall()
        return dict(documents), dict(facts)

    def write(self, batch: Batch, run: CrawlRun) -> None:
        frames = batch.frames()
        self.con.begin()
        try:
            for table, frame in frames.items():
                name = f"_landing_{table}"
                self.con.register(name, frame.to_arrow())
                self.con.execute(f"INSERT INTO raw.{table} BY NAME SELECT * FROM {name}")
                self.con.unregister(name)
            self._update_run(run)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def _update_run(self, run: CrawlRun) -> None:
        self.con.execute(
            "UPDATE raw.crawl_runs SET status = ?, finished_at = ?, items = ?, landed = ?, errors = ?"
            " WHERE crawl_run_id = ?",
            [run.status, run.finished_at, run.items, run.landed, run.errors, run.crawl_run_id],
        )

    def finish_run(self, run: CrawlRun) -> None:
        self._update_run(run)
        self.con.close()


class ParquetSink:
    """Write each batch as Parquet files under ``folder/<table>/``; the run row at start and finish.

    Many crawler processes (scrapy-redis workers) may write to one shared
    folder: file names carry the crawl run id and a batch number, so they never
    collide.  Incremental skipping reads the hashes already in the folder.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.batches = 0

    def _path(self, table: str, name: str) -> Path:
        path = self.folder / table / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def start_run(self, run: CrawlRun) -> None:
        self._write_run(run)

    def _write_run(self, run: CrawlRun) -> None:
        pl.DataFrame([asdict(run)], schema={
            "spider": pl.Utf8, "start_urls": pl.List(pl.Utf8), "started_at": pl.Datetime("us"), "crawl_run_id": pl.Utf8,
            "finished_at": pl.Datetime("us"), "status": pl.Utf8, "items": pl.Int64, "landed": pl.Int64, "errors": pl.Int64,
        }, orient="row").write_parquet(self._path("crawl_runs", run.crawl_run_id))

    def latest_hashes(self, source: str) -> tuple[dict[str, str], dict[str, str]]:
        def latest(table: str, key: str) -> dict[str, str]:
            files = list((self.folder / table).glob("*.parquet"))
            if not files:
                return {}
            frame = (
                pl.scan_parquet(files).filter(pl.col("source") == source)
                .group_by(key).agg(pl.col("content_hash").sort_by("fetched_at").last()).collect()
            )
            return dict(zip(frame[key].to_list(), frame["content_hash"].to_list()))

        return latest("documents", "url"), latest("facts", "champion")

    def write(self, batch: Batch, run: CrawlRun) -> None:
        self.batches += 1
        for table, frame in batch.frames().items():
            frame.write_parquet(self._path(table, f"{run.crawl_run_id}-{self.batches:05d}"))

    def finish_run(self, run: CrawlRun) -> None:
        self._write_run(run)


def import_parquet(con, folder: Path) -> dict[str, int]:
    """Fold a Parquet landing folder into ``raw.*`` (runs already imported are skipped), in one transaction."""
    folder = Path(folder)
    counts: dict[str, int] = {}
    con.begin()
    try:
        known = {r[0] for r in con.execute("SELECT crawl_run_id FROM raw.crawl_runs").fetchall()}
        runs_glob = str(folder / "crawl_runs" / "*.parquet")
        if not list((folder / "crawl_runs").glob("*.parquet")):
            con.commit()
            return counts
        new_runs = [r[0] for r in con.execute(f"SELECT crawl_run_id FROM read_parquet('{runs_glob}')").fetchall()
                    if r[0] not in known]
        for table in ("crawl_runs", *TABLES):
            files = list((folder / table).glob("*.parquet"))
            if not files or not new_runs:
                counts[table] = 0
                continue
            before = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
            con.execute(
                f"INSERT INTO raw.{table} BY NAME SELECT * FROM read_parquet(?) WHERE crawl_run_id IN (SELECT unnest(?))",
                [[str(f) for f in files], new_runs],
            )
            counts[table] = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0] - before
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts
