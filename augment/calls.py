"""``raw.llm_calls``: the log of every request, and the cache of answered ones.

A request whose hash has an ``ok`` row is answered from here and never sent
again; failed attempts are logged (status ``error``) and retried by the next
run.  Rows are written in batches, each batch in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

import duckdb
import pyarrow as pa

from warehouse.db import transaction

TABLE = "raw.llm_calls"


@dataclass
class CallRecord:
    request_hash: str
    task: str
    model: str
    prompt_name: str
    prompt_version: str
    mode: str  # interactive, batch
    batch_id: str | None
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    cost_usd: float | None
    latency_ms: int | None
    status: str  # ok, error
    stop_reason: str | None
    response_text: str | None
    error: str | None
    created_at: datetime

    @property
    def ok(self) -> bool:
        return self.status == "ok"


COLUMNS = [f.name for f in fields(CallRecord)]
_SCHEMA = pa.schema(
    [
        ("request_hash", pa.string()),
        ("task", pa.string()),
        ("model", pa.string()),
        ("prompt_name", pa.string()),
        ("prompt_version", pa.string()),
        ("mode", pa.string()),
        ("batch_id", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("cost_usd", pa.float64()),
        ("latency_ms", pa.int64()),
        ("status", pa.string()),
        ("stop_reason", pa.string()),
        ("response_text", pa.string()),
        ("error", pa.string()),
        ("created_at", pa.timestamp("us")),
    ]
)


class CallLog:
    """Reads and writes ``raw.llm_calls`` through one (writable) connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def cached(self, hashes: list[str]) -> dict[str, CallRecord]:
        """The latest ``ok`` answer of each hash that has one."""
        if not hashes:
            return {}
        wanted = pa.table({"request_hash": pa.array(sorted(set(hashes)), pa.string())})
        self.con.register("_wanted_hashes", wanted)
        try:
            rows = self.con.execute(
                f"""
                SELECT {", ".join("c." + c for c in COLUMNS)}
                FROM {TABLE} c JOIN _wanted_hashes w USING (request_hash)
                WHERE c.status = 'ok'
                QUALIFY row_number() OVER (PARTITION BY c.request_hash ORDER BY c.created_at DESC) = 1
                """
            ).fetchall()
        finally:
            self.con.unregister("_wanted_hashes")
        return {row[0]: CallRecord(*row) for row in rows}

    def record(self, records: list[CallRecord]) -> None:
        """Append ``records`` in one transaction."""
        if not records:
            return
        table = pa.Table.from_pylist([{c: getattr(r, c) for c in COLUMNS} for r in records], schema=_SCHEMA)
        self.con.register("_incoming_calls", table)
        try:
            with transaction(self.con):
                self.con.execute(
                    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM _incoming_calls"
                )
        finally:
            self.con.unregister("_incoming_calls")
