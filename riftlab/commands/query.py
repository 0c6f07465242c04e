"""``riftlab query``: read-only SQL over the warehouse, printed or written to a file.

The warehouse is opened read-only and sandboxed: the SQL can read the warehouse and nothing
else (no ``read_text('/etc/passwd')``, ``COPY ... TO``, ``EXPORT DATABASE``, ``ATTACH`` or
extension installs) unless ``--allow-files`` asks for file access.  ``--out`` files are written
by riftlab itself, atomically, and never onto a DuckDB database (the warehouse or another).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from pathlib import Path

import click
import duckdb

from riftlab.commandline import project_options
from warehouse.errors import QueryError
from warehouse.project import Project

FORMATS = ("table", "csv", "json", "parquet")

#: bytes 8-11 of every DuckDB database file
_DUCKDB_MAGIC = b"DUCK"


def query_error(exc: duckdb.Error, sql: str) -> QueryError:
    """DuckDB's message, the query, and what to do when the sandbox or read-only mode refused it."""
    message = str(exc).strip()
    if "read-only" in message:
        message += "\n(riftlab query opens the warehouse read-only; models change through `riftlab build`)"
    elif isinstance(exc, duckdb.PermissionException):
        message += "\n(riftlab query reads only the warehouse; pass --allow-files to let the SQL read files)"
    return QueryError(f"{message}\nin query: {sql}")


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise query_error(exc, sql) from None


def is_duckdb_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == _DUCKDB_MAGIC
    except OSError:
        return False


def check_out(out: Path, warehouse: Path) -> None:
    """Refuse an ``--out`` that would overwrite the warehouse, its write-ahead log or any DuckDB database."""
    target = out.expanduser().resolve()
    if target in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        raise QueryError(f"--out {out} is the warehouse being queried: write the result to another file")
    if is_duckdb_file(target):
        raise QueryError(
            f"--out {out} is a DuckDB database: riftlab query does not overwrite databases; pick another file"
        )
    if target.is_dir():
        raise QueryError(f"--out {out} is a folder: name a file")


def _table(relation: duckdb.DuckDBPyRelation, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    rows = relation.limit(limit + 1).fetchall()
    table = Table(*relation.columns, show_lines=False)
    for row in rows[:limit]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console = Console()
    console.print(table)
    if len(rows) > limit:
        console.print(f"(first {limit} rows; use --limit N or --format csv --out FILE for all)")


def _json_default(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _write_atomically(out: Path, write) -> None:
    """Call ``write(temporary_path)`` beside ``out``, then rename it into place (never a half-written file)."""
    out = out.expanduser()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else ".")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write(relation: duckdb.DuckDBPyRelation, fmt: str, out: Path | None, limit: int) -> None:
    if fmt == "table":
        _table(relation, limit)
        return
    if fmt == "parquet":
        if out is None:
            raise QueryError("--format parquet needs --out FILE")
        import pyarrow.parquet as pq

        table = relation.to_arrow_table()
        _write_atomically(out, lambda path: pq.write_table(table, path))
        return
    if fmt == "csv":

        def write_csv(handle) -> None:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(relation.columns)
            writer.writerows(relation.fetchall())

        if out is None:
            write_csv(sys.stdout)
        else:

            def to_file(path: Path) -> None:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    write_csv(handle)

            _write_atomically(out, to_file)
        return
    rows = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    text = json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
    else:
        _write_atomically(out, lambda path: path.write_text(text + "\n", encoding="utf-8"))


@click.command("query")
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (never onto a DuckDB database).",
)
@click.option("--limit", type=int, default=50, show_default=True, help="Rows shown by --format table.")
@click.option(
    "--allow-files",
    is_flag=True,
    help="Let the SQL read and write files and load extensions (off: it sees only the warehouse).",
)
@project_options
def query(project: Project, sql: str, fmt: str, out: Path | None, limit: int, allow_files: bool) -> None:
    """Run SQL against the warehouse, opened read-only: no table can be changed, and without
    --allow-files the SQL reads no file but the warehouse."""
    if out is not None:
        check_out(out, project.db_path)
    con = project.connect(read_only=True, sandbox=not allow_files)
    try:
        relation = run_query(con, sql)
        if relation is None:
            click.echo("(statement returned no rows)")
            return
        try:
            write(relation, fmt, out, limit)
        except duckdb.Error as exc:
            raise query_error(exc, sql) from None
        if out is not None:
            click.echo(f"wrote {out}", err=True)
    finally:
        con.close()
