"""DuckDB access: connections, schemas and the DDL of landing and log tables.

Schemas:
  ``raw``  landing tables, written only by crawlers and augmentation;
  ``main`` models built by the SQL runner (and seeds, rules);
  ``meta`` logs of runs (models, crawls, checks, training, evaluation).

Landing and log tables are declared as SQL files in ``warehouse/ddl/`` (one
table a file, ``CREATE TABLE IF NOT EXISTS``), executed in name order, so each
package adds its tables without touching this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError, WarehouseLocked

SCHEMAS = ("raw", "main", "meta")

_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


#: DuckDB settings of a sandboxed connection: the SQL it runs reads and writes no file but the
#: warehouse (no read_csv('/etc/...'), COPY ... TO, EXPORT DATABASE, ATTACH) and installs no extension.
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def connect(path: Path, read_only: bool = False, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at ``path``; a lock or a missing file becomes one plain sentence.

    ``sandbox`` applies :data:`SANDBOX`: for SQL a user types (``riftlab query``), not for riftlab's own.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"No warehouse at {path}: run `riftlab build` (or `riftlab run`) first, or pass --db PATH."
        )
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(
                f"Cannot create the warehouse's folder {path.parent}: {exc.strerror}; pass --db PATH"
            ) from None
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(SANDBOX) if sandbox else {})
    except duckdb.IOException as exc:
        message = str(exc)
        if "Could not set lock" in message:
            match = _LOCK_PID.search(message)
            holder = f"process {match['pid']} ({Path(match['program']).name})" if match else "another process"
            raise WarehouseLocked(
                f"The warehouse {path} is locked by {holder}, which has it open for writing. "
                f"Wait for that command to finish (or stop it), then try again; "
                f"to work in parallel, point --db (or RIFTLAB_DB) at another file."
            ) from None
        raise WarehouseError(f"Cannot open the warehouse {path}: {message}") from None
    except duckdb.Error as exc:  # not a DuckDB file (a SQLite file, a text file ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseError(
            f"Cannot open the warehouse {path}: {first} (is it a DuckDB file? pass --db PATH)"
        ) from None


def ddl_statements() -> list[tuple[str, str]]:
    """(file name, SQL) of every landing/log table, in name order."""
    folder = resources.files("warehouse") / "ddl"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and every declared landing/log table that is missing."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for _name, sql in ddl_statements():
        con.execute(sql)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    # fetchall, not fetchone: DuckDB 2.0 refuses new work on a connection while a result is unfinished
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchall()
    return bool(rows and rows[0][0])


def require_table(con: duckdb.DuckDBPyConnection, schema: str, name: str, made_by: str) -> None:
    """Fail with the command that makes ``schema.name`` when it is missing."""
    if not table_exists(con, schema, name):
        raise WarehouseError(f"The warehouse has no table {schema}.{name}: {made_by} makes it.")


def utcnow() -> datetime:
    """Now in UTC, naive: what every TIMESTAMP column of the warehouse holds."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT; on any error (Ctrl-C included) roll back and re-raise.

    A COMMIT that failed has ended the transaction already, so the rollback's own error is ignored.
    """
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        with suppress(duckdb.Error):
            con.rollback()
        raise
