"""Read a stage's rows from the warehouse as Arrow tables, and fingerprint exactly what was read.

Rows come out of DuckDB as Arrow (``con.sql(...).to_arrow_table()``) and go into
``datasets.Dataset`` without a CSV or pandas detour.  Every query orders by the
table's key, so the same rows give the same bytes and therefore the same
:func:`snapshot_id`: the ``corpus_snapshot_id`` recorded with each run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from training.errors import TrainingDataError
from warehouse.db import require_table, table_exists

BUILD_HINT = "`riftlab build` (the transforms)"


@dataclass
class Snapshot:
    """The Arrow tables a run read, by name, in the order they were read."""

    tables: dict[str, pa.Table] = field(default_factory=dict)

    def add(self, name: str, table: pa.Table) -> pa.Table:
        self.tables[name] = table
        return table

    @property
    def id(self) -> str:
        return snapshot_id(self.tables)

    @property
    def rows(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}


def snapshot_id(tables: dict[str, pa.Table]) -> str:
    """sha256 (first 16 hex digits) over the Arrow IPC bytes of each table, names included."""
    digest = hashlib.sha256()
    for name, table in tables.items():
        digest.update(name.encode())
        sink = pa.BufferOutputStream()
        combined = table.combine_chunks()
        with pa.ipc.new_stream(sink, combined.schema) as writer:
            writer.write_table(combined)
        digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()[:16]


def read_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    return con.sql(sql, params=params or None).to_arrow_table()


def read_champions(con: duckdb.DuckDBPyConnection) -> pa.Table:
    require_table(con, "main", "champions", BUILD_HINT)
    table = read_arrow(
        con,
        "SELECT champion_key, name, positions, classes, subclasses, embedding_split "
        "FROM main.champions ORDER BY champion_key",
    )
    if table.num_rows == 0:
        raise TrainingDataError("main.champions is empty: run `riftlab build` on a crawled warehouse first")
    return table


def read_triplets(con: duckdb.DuckDBPyConnection, kinds: list[str]) -> pa.Table:
    require_table(con, "main", "triplets", BUILD_HINT)
    return read_arrow(
        con,
        "SELECT triplet_id, kind, anchor, positive, negative, anchor_champion, positive_champion, "
        "negative_champion, rule, split FROM main.triplets WHERE list_contains(?, kind) ORDER BY triplet_id",
        [list(kinds)],
    )


def read_chunks(con: duckdb.DuckDBPyConnection, columns: str = "chunk_id, champion, text, split") -> pa.Table:
    """The corpus chunks a training stage may read: all but those whose text is reserved as an evaluation query."""
    require_table(con, "main", "corpus_chunks", BUILD_HINT)
    reserved = (
        # qualified, so that a stale table without the column fails loudly instead of binding the outer text
        "WHERE text NOT IN (SELECT q.text FROM main.eval_query_chunks AS q)"
        if table_exists(con, "main", "eval_query_chunks")
        else ""
    )
    return read_arrow(con, f"SELECT {columns} FROM main.corpus_chunks {reserved} ORDER BY chunk_id")


def read_mask_terms(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """main.champion_mask_terms: the words that name each champion (hidden in (name, chunk) pairs)."""
    require_table(con, "main", "champion_mask_terms", "`riftlab build --select champion_mask_terms`")
    return read_arrow(con, "SELECT champion, mask_terms FROM main.champion_mask_terms ORDER BY champion")


def read_instruct_pairs(con: duckdb.DuckDBPyConnection, kinds: list[str]) -> pa.Table:
    require_table(con, "main", "instruct_pairs", "`riftlab augment` then `riftlab build`")
    where = "WHERE list_contains(?, kind)" if kinds else ""
    return read_arrow(
        con,
        f"SELECT pair_id, kind, messages, champion, split FROM main.instruct_pairs {where} ORDER BY pair_id",
        [list(kinds)] if kinds else [],
    )


def split_rows(table: pa.Table, split: str, column: str = "split") -> pa.Table:
    import pyarrow.compute as pc

    return table.filter(pc.equal(table[column], split))


def require_rows(table: pa.Table, what: str, fix: str) -> None:
    if table.num_rows == 0:
        raise TrainingDataError(f"{what} has no rows: {fix}")
