"""Publish one node atomically.

A table is built under a temporary name, checked by the publication gate
(blocking expectations), and swapped in, all inside one transaction: a failure
at any step rolls back and leaves the previous version in place.  A failure to
write the warehouse file itself (a full disk, a file size limit) is a
:class:`WarehouseWriteError`, which stops the build: every later node would fail too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb

from warehouse.db import transaction
from warehouse.errors import ModelError, RiftlabError, WarehouseError
from warehouse.runner.nodes import DEFAULT_SCHEMA, Node, relation

TMP_PREFIX = "__riftlab_tmp_"

#: gate(table_name, tmp_relation) -> failure lines; empty means publish.
Gate = Callable[[str, str], list[str]]

_LINE = re.compile(r"LINE (\d+):")
_WRITE_FAILURE = re.compile(
    r"could not write|no space left|file too large|disk quota|failed to commit|invalidated", re.I
)


class WarehouseWriteError(WarehouseError):
    """The warehouse file could not be written; the node being built (if any) keeps its previous version."""


def existing_type(con: duckdb.DuckDBPyConnection, name: str, schema: str = DEFAULT_SCHEMA) -> str | None:
    """'BASE TABLE', 'VIEW' or None for <schema>.<name>."""
    rows = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchall()
    return rows[0][0] if rows else None


def _drop_statement(kind: str | None, name: str, schema: str = DEFAULT_SCHEMA) -> str | None:
    if kind == "VIEW":
        return f"DROP VIEW {relation(name, schema)}"
    if kind is not None:
        return f"DROP TABLE {relation(name, schema)}"
    return None


def _gated(gate: Gate | None, node: Node, candidate: str, where: str, what: str) -> None:
    """Ask the gate about ``candidate``; its failures roll the node back."""
    if gate is None:
        return
    failures = gate(node.name, candidate)
    if failures:
        raise ModelError(f"{where}: {what}:\n  " + "\n  ".join(f.replace("\n", "\n  ") for f in failures))


def write_failure(exc: duckdb.Error, where: str) -> WarehouseWriteError | None:
    """``exc`` as a failure to write the warehouse file, or None when it is the node's own error."""
    headline = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, duckdb.FatalException) or _WRITE_FAILURE.search(headline):
        return WarehouseWriteError(
            f"{where}: cannot write the warehouse ({headline}); the build stopped and every node it had not "
            "finished keeps its previous version: free disk space and build again"
        )
    return None


def duckdb_error(exc: duckdb.Error, where: str, first_line: int = 1) -> RiftlabError:
    """A DuckDB error as one message naming the model file and line (or the warehouse, when it cannot be written)."""
    failure = write_failure(exc, where)
    if failure is not None:
        return failure
    message = str(exc).strip()
    match = _LINE.search(message)
    line = int(match.group(1)) - (first_line - 1) if match else None
    headline = message.splitlines()[0]
    context = "\n".join(message.splitlines()[1:]).strip()
    suffix = f"\n{context}" if context else ""
    return ModelError(f"{where}{f':{line}' if line and line > 0 else ''}: {headline}{suffix}")


def count_rows(con: duckdb.DuckDBPyConnection, target: str) -> int:
    return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]


def _in_transaction(con: duckdb.DuckDBPyConnection, steps: Callable[[], int], where: str) -> int:
    """Run ``steps`` and commit, or roll back on any error (Ctrl-C included) and re-raise it.

    A DuckDB error (a failed COMMIT included) is re-raised as one message naming ``where``.
    """
    try:
        with transaction(con):
            return steps()
    except duckdb.Error as exc:
        raise duckdb_error(exc, where) from None


def publish_table(
    con: duckdb.DuckDBPyConnection, node: Node, select_sql: str, where: str, gate: Gate | None = None
) -> int:
    """CREATE TABLE tmp AS <select>; gate; DROP old; RENAME tmp -- in one transaction."""
    tmp = relation(TMP_PREFIX + node.name, node.schema)

    def steps() -> int:
        try:
            # The select starts on line 2 of this statement, so DuckDB's LINE n is the model's line n-1.
            con.execute(f"CREATE OR REPLACE TABLE {tmp} AS\n{select_sql}")
        except duckdb.Error as exc:
            raise duckdb_error(exc, where, first_line=2) from None
        _gated(gate, node, tmp, where, "not published, blocking checks failed (the previous version stays)")
        drop = _drop_statement(existing_type(con, node.name, node.schema), node.name, node.schema)
        if drop:
            con.execute(drop)
        con.execute(f'ALTER TABLE {tmp} RENAME TO "{node.name}"')
        return count_rows(con, node.relation)

    return _in_transaction(con, steps, where)


def publish_view(
    con: duckdb.DuckDBPyConnection, node: Node, select_sql: str, where: str, gate: Gate | None = None
) -> int:
    """CREATE OR REPLACE VIEW; gate -- in one transaction, so a view whose checks fail is rolled back."""

    def steps() -> int:
        if existing_type(con, node.name, node.schema) == "BASE TABLE":
            con.execute(f"DROP TABLE {node.relation}")
        try:
            con.execute(f"CREATE OR REPLACE VIEW {node.relation} AS\n{select_sql}")
            rows = count_rows(con, node.relation)
        except duckdb.Error as exc:
            raise duckdb_error(exc, where, first_line=2) from None
        _gated(gate, node, node.relation, where, "not published, blocking checks failed (the previous version stays)")
        return rows

    return _in_transaction(con, steps, where)


def publish_incremental(
    con: duckdb.DuckDBPyConnection, node: Node, select_sql: str, where: str, gate: Gate | None = None
) -> int:
    """Insert the new rows (replacing rows with the same unique_key) in one transaction."""
    keys = [node.unique_key] if isinstance(node.unique_key, str) else list(node.unique_key or [])
    staged = relation(TMP_PREFIX + node.name, node.schema)

    def steps() -> int:
        try:
            con.execute(f"CREATE OR REPLACE TABLE {staged} AS\n{select_sql}")
        except duckdb.Error as exc:
            raise duckdb_error(exc, where, first_line=2) from None
        _gated(gate, node, staged, where, "new rows not published, blocking checks failed")
        try:
            if keys:
                match = " AND ".join(f'target."{k}" = staged."{k}"' for k in keys)
                con.execute(
                    f"DELETE FROM {node.relation} AS target"
                    f" WHERE EXISTS (SELECT 1 FROM {staged} AS staged WHERE {match})"
                )
            con.execute(f"INSERT INTO {node.relation} BY NAME SELECT * FROM {staged}")
        except duckdb.Error as exc:
            raise write_failure(exc, where) or ModelError(
                f"{where}: cannot merge new rows into {node.relation} ({str(exc).splitlines()[0]}); "
                "if the model's columns changed, rebuild it with --full-refresh"
            ) from None
        con.execute(f"DROP TABLE {staged}")
        return count_rows(con, node.relation)

    return _in_transaction(con, steps, where)


def publish_arrow(con: duckdb.DuckDBPyConnection, node: Node, table, gate: Gate | None = None) -> int:
    """Publish an in-memory Arrow table (rule tables) with the same atomic swap."""
    view = f"__riftlab_arrow_{node.name}"
    con.register(view, table)
    try:
        return publish_table(con, node, f'SELECT * FROM "{view}"', node.name, gate)
    finally:
        con.unregister(view)
