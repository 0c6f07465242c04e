"""Python functions that SQL models call (registered on the build connection)."""

from __future__ import annotations

import duckdb


def register(con: duckdb.DuckDBPyConnection, project) -> None:
    """Register riftlab's scalar functions on ``con`` (idempotent)."""
