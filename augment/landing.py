"""Writing ``raw.augmentations``: generated items and failed answers, in one transaction per batch.

Row ids are deterministic (task, request hash, item index), so rerunning a
task from the cache rewrites the same rows instead of adding copies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.db import transaction, utcnow

TABLE = "raw.augmentations"


def augmentation_id(*parts: Any) -> str:
    return hashlib.md5("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


@dataclass
class AugmentationRow:
    augmentation_id: str
    task: str
    kind: str
    subject: str
    request_hash: str
    model: str
    prompt_version: str
    source_ids: list[str]
    champion: str | None
    split: str | None
    title: str | None
    text: str | None
    messages: list[dict[str, str]] | None = None
    attributes: dict[str, Any] | None = None
    verdicts: dict[str, Any] | None = None
    status: str = "ok"
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)


COLUMNS = [f.name for f in fields(AugmentationRow)]
_JSON = {"messages", "attributes", "verdicts"}
_SCHEMA = pa.schema(
    [
        (
            name,
            pa.list_(pa.string())
            if name == "source_ids"
            else pa.timestamp("us")
            if name == "created_at"
            else pa.string(),
        )
        for name in COLUMNS
    ]
)


def chat(question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question.strip()}, {"role": "assistant", "content": answer.strip()}]


def land(con: duckdb.DuckDBPyConnection, rows: list[AugmentationRow]) -> int:
    """Replace-or-insert ``rows`` by id in one transaction; returns how many were written."""
    if not rows:
        return 0
    unique = {row.augmentation_id: row for row in rows}
    records = []
    for row in unique.values():
        record = {name: getattr(row, name) for name in COLUMNS}
        for name in _JSON:
            record[name] = None if record[name] is None else json.dumps(record[name], ensure_ascii=False)
        records.append(record)
    table = pa.Table.from_pylist(records, schema=_SCHEMA)
    con.register("_incoming_augmentations", table)
    select = ", ".join(f"CAST({c} AS JSON)" if c in _JSON else c for c in COLUMNS)
    try:
        with transaction(con):
            con.execute(
                f"DELETE FROM {TABLE} WHERE augmentation_id IN (SELECT augmentation_id FROM _incoming_augmentations)"
            )
            con.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT {select} FROM _incoming_augmentations")
    finally:
        con.unregister("_incoming_augmentations")
    return len(unique)
