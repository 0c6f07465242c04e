"""Where landed rows go: the DuckDB warehouse, or Parquet files it can read later.

DuckDB allows one writer process, Parquet files many: crawls scaled out under scrapy-redis write
Parquet files that :func:`import_parquet` folds into the warehouse afterwards.  Each crawl run
records its origin (``fixture`` or ``live``: a warehouse or landing folder holds one only, so demo
rows never mix with real ones) and its process, so that the next crawl closes a run whose process
was killed (:func:`reap_abandoned`).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

from warehouse import db
from warehouse.errors import RiftlabError, WarehouseError

TABLES = ("documents", "facts", "crawl_seen", "crawl_errors")

#: ``raw.crawl_runs.origin``: rows from the bundled fixture sites (``crawl --offline``, the demo),
#: or from anywhere else.
FIXTURE, LIVE = "fixture", "live"

#: Column types of the batches, matching warehouse/ddl/raw_*.sql.
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "documents": {
        "document_version_id": pl.Utf8,
        "source": pl.Utf8,
        "url": pl.Utf8,
        "champion": pl.Utf8,
        "entity": pl.Utf8,
        "entity_type": pl.Utf8,
        "title": pl.Utf8,
        "section_path": pl.Utf8,
        "text": pl.Utf8,
        "html": pl.Utf8,
        "language": pl.Utf8,
        "revision_id": pl.Utf8,
        "etag": pl.Utf8,
        "content_hash": pl.Utf8,
        "fetched_at": pl.Datetime("us"),
        "crawl_run_id": pl.Utf8,
        "truncated_from_bytes": pl.Int64,
        "author": pl.Utf8,
        "created_at": pl.Datetime("us"),
        "score": pl.Int64,
        "link_url": pl.Utf8,
        "parent_entity": pl.Utf8,
    },
    "facts": {
        "champion": pl.Utf8,
        "fact_type": pl.Utf8,
        "value": pl.Utf8,
        "source": pl.Utf8,
        "url": pl.Utf8,
        "content_hash": pl.Utf8,
        "fetched_at": pl.Datetime("us"),
        "crawl_run_id": pl.Utf8,
    },
    "crawl_seen": {"crawl_run_id": pl.Utf8, "source": pl.Utf8, "url": pl.Utf8, "content_hash": pl.Utf8},
    "crawl_errors": {
        "crawl_run_id": pl.Utf8,
        "spider": pl.Utf8,
        "url": pl.Utf8,
        "reason": pl.Utf8,
        "excerpt": pl.Utf8,
        "occurred_at": pl.Datetime("us"),
    },
}

#: Column types of a :class:`CrawlRun` written as Parquet (field order).
RUN_SCHEMA: dict[str, pl.DataType] = {
    "spider": pl.Utf8,
    "start_urls": pl.List(pl.Utf8),
    "started_at": pl.Datetime("us"),
    "origin": pl.Utf8,
    "crawl_run_id": pl.Utf8,
    "finished_at": pl.Datetime("us"),
    "status": pl.Utf8,
    "items": pl.Int64,
    "landed": pl.Int64,
    "errors": pl.Int64,
    "error": pl.Utf8,
    "host": pl.Utf8,
    "pid": pl.Int64,
    "pid_started": pl.Float64,
}


class MixedOrigins(RiftlabError):
    """Fixture and live crawl data would meet in one warehouse (or landing folder)."""


def _this_process_started() -> float:
    """When this process started (epoch seconds): with the pid, it names the process (pids are reused)."""
    import psutil

    return psutil.Process().create_time()


def _owner_alive(pid: int, pid_started: float | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``pid_started``."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return pid_started is None or abs(process.create_time() - pid_started) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: leave the run alone


@dataclass
class CrawlRun:
    """One ``raw.crawl_runs`` row."""

    spider: str
    start_urls: list[str]
    started_at: datetime
    origin: str = LIVE
    crawl_run_id: str = ""
    finished_at: datetime | None = None
    status: str = "running"
    items: int = 0
    landed: int = 0
    errors: int = 0
    error: str | None = None
    #: the process that runs the crawl: lets a later crawl tell a live run from an abandoned one
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    pid_started: float | None = field(default_factory=_this_process_started)

    def __post_init__(self) -> None:
        if not self.crawl_run_id:
            self.crawl_run_id = f"{self.spider}-{self.started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def refuse_mixed_origins(target: str, held: dict[str, int], origin: str, elsewhere: str) -> None:
    """Refuse to land ``origin`` rows in ``target`` when it holds crawl runs of another origin.

    ``held`` counts crawl runs by origin. Fixture rows among real ones would be trained on as real
    (and win as newest), so one warehouse holds one origin; ``elsewhere`` says where else to land.
    """
    others = sum(count for held_origin, count in held.items() if held_origin != origin)
    if not others:
        return
    if origin == FIXTURE:
        raise MixedOrigins(
            f"Nothing landed: {target} holds {others} crawl run(s) from live sources, and fixture data from the "
            f"bundled sites never joins them. The demo has its own warehouse: `riftlab run --demo`; or {elsewhere}."
        )
    raise MixedOrigins(
        f"Nothing landed: {target} holds {others} crawl run(s) from the bundled fixture sites (demo data), and "
        f"live data never joins them: {elsewhere} (the demo keeps its own warehouse: `riftlab run --demo`)."
    )


def held_origins(con) -> dict[str, int]:
    """Crawl runs in the warehouse by origin (rows older than the column count as live)."""
    return dict(con.execute("SELECT coalesce(origin, ?), count(*) FROM raw.crawl_runs GROUP BY ALL", [LIVE]).fetchall())


def reap_abandoned(con) -> list[str]:
    """Close as ``failed`` every ``running`` crawl run whose owning process on this host is gone.

    A crawl killed outright (SIGKILL, the out-of-memory killer) cannot close its row. Runs of other
    hosts, or without an owner (landed before the owner was recorded), are left alone: nothing here
    can prove them dead. Returns the crawl run ids closed.
    """
    host = socket.gethostname()
    running = con.execute(
        "SELECT crawl_run_id, pid, pid_started FROM raw.crawl_runs"
        " WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
        [host],
    ).fetchall()
    reaped = []
    for run_id, pid, pid_started in running:
        if _owner_alive(pid, pid_started):
            continue
        reason = (
            f"abandoned: process {pid} on {host} ended without closing the run "
            "(killed by a signal or the out-of-memory killer)"
        )
        con.execute(
            "UPDATE raw.crawl_runs SET status = 'failed', finished_at = ?, error = ? WHERE crawl_run_id = ?",
            [db.utcnow(), reason, run_id],
        )
        reaped.append(run_id)
    return reaped


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def write_error(target: str, exc: BaseException, elsewhere: str) -> str:
    """One line for a failed landing write: where, the OS's words, and what to do."""
    return (
        f"Cannot write to {target}: {_first_line(exc)}. Free space on its disk (or {elsewhere} on a disk "
        "with room), then crawl again; rows landed before the failure are kept."
    )


@dataclass
class Batch:
    """Rows gathered since the last flush, per table."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {table: [] for table in TABLES})

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def frames(self) -> dict[str, pl.DataFrame]:
        return {t: pl.DataFrame(r, schema=SCHEMAS[t], orient="row") for t, r in self.rows.items() if r}


class Sink(Protocol):
    #: what the sink writes to, for messages ("the warehouse /x.duckdb")
    target: str
    #: how to land somewhere else instead, for messages
    elsewhere: str

    def start_run(self, run: CrawlRun) -> None: ...
    def latest_hashes(self, source: str) -> tuple[dict[str, str], dict[str, str]]: ...
    def write(self, batch: Batch, run: CrawlRun) -> None: ...
    def finish_run(self, run: CrawlRun) -> None: ...
    def close(self) -> None: ...


class DuckDBSink:
    """Append batches to ``raw.*`` in one transaction each; keep ``raw.crawl_runs`` current."""

    elsewhere = "pass --db another file"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.target = f"the warehouse {self.path}"
        self.con = db.connect(self.path)
        try:
            db.ensure_schemas(self.con)
        except duckdb.Error as exc:
            self.con.close()
            raise WarehouseError(f"Cannot prepare {self.target} for landing: {_first_line(exc)}") from None

    def start_run(self, run: CrawlRun) -> None:
        """Refuse mixed origins, close abandoned runs, then record ``run`` as running: one transaction."""
        with db.transaction(self.con):
            refuse_mixed_origins(self.target, held_origins(self.con), run.origin, self.elsewhere)
            reap_abandoned(self.con)
            row = asdict(run)
            self.con.execute(
                f"INSERT INTO raw.crawl_runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
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
        with db.transaction(self.con):
            for table, frame in frames.items():
                name = f"_landing_{table}"
                self.con.register(name, frame.to_arrow())
                self.con.execute(f"INSERT INTO raw.{table} BY NAME SELECT * FROM {name}")
                self.con.unregister(name)
            self._update_run(run)

    def _update_run(self, run: CrawlRun) -> None:
        self.con.execute(
            "UPDATE raw.crawl_runs SET status = ?, finished_at = ?, items = ?, landed = ?, errors = ?, error = ?"
            " WHERE crawl_run_id = ?",
            [run.status, run.finished_at, run.items, run.landed, run.errors, run.error, run.crawl_run_id],
        )

    def finish_run(self, run: CrawlRun) -> None:
        try:
            self._update_run(run)
        finally:
            self.close()

    def close(self) -> None:
        self.con.close()


class ParquetSink:
    """Write each batch as Parquet files under ``folder/<table>/``; the run row at start and finish.

    Many crawler processes (scrapy-redis workers) may write to one shared
    folder: file names carry the crawl run id and a batch number, so they never
    collide.  Incremental skipping reads the hashes already in the folder.
    """

    elsewhere = "point crawl.parquet_dir at another folder"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.target = f"the landing folder {self.folder}"
        self.batches = 0

    def _path(self, table: str, name: str) -> Path:
        path = self.folder / table / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def start_run(self, run: CrawlRun) -> None:
        held = landed_runs(self.folder)["origin"].value_counts()
        refuse_mixed_origins(self.target, dict(held.iter_rows()), run.origin, self.elsewhere)
        self._write_run(run)

    def _write_run(self, run: CrawlRun) -> None:
        row = asdict(run)
        pl.DataFrame([row], schema={name: RUN_SCHEMA[name] for name in row}, orient="row").write_parquet(
            self._path("crawl_runs", run.crawl_run_id)
        )

    def latest_hashes(self, source: str) -> tuple[dict[str, str], dict[str, str]]:
        def latest(table: str, key: str) -> dict[str, str]:
            files = list((self.folder / table).glob("*.parquet"))
            if not files:
                return {}
            frame = (
                pl.scan_parquet(files)
                .filter(pl.col("source") == source)
                .group_by(key)
                .agg(pl.col("content_hash").sort_by("fetched_at").last())
                .collect()
            )
            return dict(zip(frame[key].to_list(), frame["content_hash"].to_list(), strict=True))

        return latest("documents", "url"), latest("facts", "champion")

    def write(self, batch: Batch, run: CrawlRun) -> None:
        self.batches += 1
        for table, frame in batch.frames().items():
            frame.write_parquet(self._path(table, f"{run.crawl_run_id}-{self.batches:05d}"))

    def finish_run(self, run: CrawlRun) -> None:
        self._write_run(run)

    def close(self) -> None:
        """Nothing stays open between writes."""


def landed_runs(folder: Path) -> pl.DataFrame:
    """``crawl_run_id`` and ``origin`` of every run in a Parquet landing folder (files older than origin: live)."""
    files = sorted((Path(folder) / "crawl_runs").glob("*.parquet"))
    schema = {"crawl_run_id": pl.Utf8, "origin": pl.Utf8}
    if not files:
        return pl.DataFrame(schema=schema)
    return (
        pl.scan_parquet(files, schema=schema, missing_columns="insert", extra_columns="ignore")
        .with_columns(pl.col("origin").fill_null(LIVE))
        .unique("crawl_run_id")
        .collect()
    )


def import_parquet(con, folder: Path, target: str = "the warehouse") -> dict[str, int]:
    """Fold a Parquet landing folder into ``raw.*`` (runs already imported are skipped), in one transaction.

    Runs of one origin only, and only into a warehouse holding that origin (see :func:`refuse_mixed_origins`).
    """
    folder = Path(folder)
    runs = landed_runs(folder)
    if runs.is_empty():
        return {}
    counts: dict[str, int] = {}
    with db.transaction(con):
        known = [r[0] for r in con.execute("SELECT crawl_run_id FROM raw.crawl_runs").fetchall()]
        new = runs.filter(~pl.col("crawl_run_id").is_in(known))
        origins = sorted(set(new["origin"]))
        if len(origins) > 1:
            raise MixedOrigins(
                f"Nothing imported: the landing folder {folder} holds crawl runs of both the bundled "
                "fixture sites and live sources; land them into separate folders."
            )
        for origin in origins:
            refuse_mixed_origins(target, held_origins(con), origin, DuckDBSink.elsewhere)
        new_runs = new["crawl_run_id"].to_list()
        for table in ("crawl_runs", *TABLES):
            files = [str(f) for f in (folder / table).glob("*.parquet")]
            if not files or not new_runs:
                counts[table] = 0
                continue
            before = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
            con.execute(
                f"INSERT INTO raw.{table} BY NAME SELECT * FROM read_parquet(?, union_by_name = true)"
                " WHERE crawl_run_id IN (SELECT unnest(?))",
                [files, new_runs],
            )
            counts[table] = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0] - before
    return counts
