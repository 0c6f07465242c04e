"""``riftlab query``: read-only SQL over the warehouse, printed or written to a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import duckdb

from warehouse.commandline import project_options
from warehouse.errors import QueryError
from warehouse.project import Project

FORMATS = ("table", "csv", "json", "parquet")


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        message = str(exc).strip()
        if "read-only" in message:
            message += "\n(riftlab query opens the warehouse read-only; models change through `riftlab build`)"
        raise QueryError(f"{message}\nin query: {sql}") from None


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


def write(relation: duckdb.DuckDBPyRelation, fmt: str, out: Path | None, limit: int) -> None:
    if fmt == "table":
        _table(relation, limit)
        return
    if fmt == "parquet":
        if out is None:
            raise QueryError("--format parquet needs --out FILE")
        relation.write_parquet(str(out))
        return
    if fmt == "csv":
        if out is not None:
            relation.write_csv(str(out))
            return
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(relation.columns)
        writer.writerows(relation.fetchall())
        return
    rows = [dict(zip(relation.columns, row)) for row in relation.fetchall()]
    text = json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@click.command("query")
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file.")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows shown by --format table.")
@project_options
def query(project: Project, sql: str, fmt: str, out: Path | None, limit: int) -> None:
    """Run SQL against the warehouse, opened read-only (nothing can be changed)."""
    con = project.connect(read_only=True)
    try:
        relation = run_query(con, sql)
        if relation is None:
            click.echo("(statement returned no rows)")
            return
        write(relation, fmt, out, limit)
        if out is not None:
            click.echo(f"wrote {out}", err=True)
    finally:
        con.close()
