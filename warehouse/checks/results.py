"""Outcomes of expectations: what a person reads and what ``meta.check_results`` keeps."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.db import transaction, utcnow

if TYPE_CHECKING:
    from warehouse.checks.suites import Expectation, Suite


@dataclass
class Outcome:
    """The result of one expectation against one relation."""

    suite: Suite
    expectation: Expectation
    success: bool
    observed: str | None = None
    failing_count: int | None = None
    failing_sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # the expectation could not run (bad SQL, missing column)

    @property
    def table(self) -> str:
        return self.suite.table

    def headline(self) -> str:
        """``table.expectation: what failed`` in one line."""
        if self.error:
            what = self.error
        elif self.failing_count is None:
            what = f"observed {self.observed}"
        else:
            what = self.observed or f"{self.failing_count} failing row(s)"
        tag = " [blocking]" if self.expectation.blocking else ""
        return f"{self.table}.{self.expectation.name}{tag}: {what}"

    def failure_text(self, rows: int = 3) -> str:
        """The headline plus a sample of failing rows, one compact JSON object each."""
        lines = [self.headline()]
        lines.extend(f"    {json.dumps(row, ensure_ascii=False, default=str)}" for row in self.failing_sample[:rows])
        return "\n".join(lines)


def plain(value: Any, max_chars: int) -> Any:
    """A JSON-able version of a value DuckDB returned, long texts shortened."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if len(value) <= max_chars else value[: max_chars - 1] + "…"
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v, max_chars) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, max_chars) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def rows_as_dicts(columns: list[str], rows: list[tuple], max_chars: int) -> list[dict[str, Any]]:
    return [{c: plain(v, max_chars) for c, v in zip(columns, row, strict=True)} for row in rows]


def store_outcomes(con: duckdb.DuckDBPyConnection, check_run_id: str, outcomes: list[Outcome]) -> None:
    """Append the outcomes to ``meta.check_results`` in one transaction, one batch."""
    if not outcomes:
        return
    import pyarrow as pa

    now = utcnow()
    batch = pa.table(
        {
            "check_run_id": [check_run_id] * len(outcomes),
            "table_name": [o.table for o in outcomes],
            "expectation": [o.expectation.name for o in outcomes],
            "expectation_type": [o.expectation.type for o in outcomes],
            "blocking": [o.expectation.blocking for o in outcomes],
            "success": [o.success for o in outcomes],
            "observed": [o.error or o.observed for o in outcomes],
            "failing_count": pa.array([o.failing_count for o in outcomes], pa.int64()),
            "failing_sample": [json.dumps(o.failing_sample, ensure_ascii=False, default=str) for o in outcomes],
            "suite_file": [o.suite.display for o in outcomes],
            "checked_at": [now] * len(outcomes),
        }
    )
    con.register("__riftlab_check_results", batch)
    try:
        with transaction(con):
            con.execute(
                "INSERT INTO meta.check_results BY NAME "
                "SELECT * REPLACE (failing_sample::JSON AS failing_sample) FROM __riftlab_check_results"
            )
    finally:
        con.unregister("__riftlab_check_results")
