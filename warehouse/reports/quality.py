"""The data-quality report's history: every table's past check runs from ``meta.check_results``.

Each table is one data asset (``main.<table>``) with its runs, newest first: how many of its
expectations passed in each, every expectation's result run by run, and a trend of the pass rate.
The report is built from the warehouse alone, so it shows every run of every table, whichever
tables the latest ``riftlab check`` selected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from warehouse import db

RUNS_SHOWN = 8  # runs per table in the result grid
TREND_RUNS = 30  # runs per table in the trend line


@dataclass
class Result:
    """One expectation's result in one run."""

    success: bool
    observed: str | None
    failing_count: int | None
    blocking: bool
    failing_sample: list[dict[str, Any]]


@dataclass
class TableRun:
    check_run_id: str
    checked_at: datetime
    passed: int
    total: int
    failing_rows: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 1.0


@dataclass
class TableHistory:
    table: str
    runs: list[TableRun]  # newest first, up to TREND_RUNS
    results: dict[str, dict[str, Result]] = field(default_factory=dict)  # expectation -> run id -> result

    @property
    def asset(self) -> str:
        return f"main.{self.table}"

    @property
    def latest(self) -> TableRun:
        return self.runs[0]

    @property
    def previous(self) -> TableRun | None:
        return self.runs[1] if len(self.runs) > 1 else None

    @property
    def shown_runs(self) -> list[TableRun]:
        return self.runs[:RUNS_SHOWN]

    @property
    def expectations(self) -> list[str]:
        """Failing in the latest run first, then by name."""
        latest = self.latest.check_run_id

        def failing(name: str) -> bool:
            result = self.results[name].get(latest)
            return result is not None and not result.success

        return sorted(self.results, key=lambda name: (not failing(name), name))

    def change(self) -> str:
        """The latest run against the previous one, in words."""
        if self.previous is None:
            return "first check"
        delta = self.latest.passed - self.previous.passed
        failed_now, failed_before = self.latest.total - self.latest.passed, self.previous.total - self.previous.passed
        if failed_now == failed_before and self.latest.total == self.previous.total:
            return "no change"
        if failed_now < failed_before:
            return f"better: {failed_before - failed_now} fewer failing"
        if failed_now > failed_before:
            return f"worse: {failed_now - failed_before} more failing"
        return f"{delta:+d} passing, {self.latest.total - self.previous.total:+d} expectations"

    def trend_points(self, width: int = 160, height: int = 28) -> str:
        """SVG polyline points of the pass rate, oldest left."""
        runs = list(reversed(self.runs))
        if len(runs) == 1:
            runs = runs * 2
        step = width / (len(runs) - 1)
        return " ".join(f"{i * step:.1f},{(1 - run.rate) * (height - 4) + 2:.1f}" for i, run in enumerate(runs))


def table_histories(con: duckdb.DuckDBPyConnection) -> list[TableHistory]:
    """Every checked table's history, tables by name."""
    if not db.table_exists(con, "meta", "check_results"):
        return []
    runs = con.execute(
        """
        WITH runs AS (
            SELECT table_name, check_run_id, max(checked_at) AS checked_at, count(*) AS total,
                   count(*) FILTER (WHERE success) AS passed, coalesce(sum(failing_count), 0) AS failing_rows
            FROM meta.check_results GROUP BY table_name, check_run_id
        )
        SELECT * FROM runs
        QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY checked_at DESC, check_run_id DESC) <= ?
        ORDER BY table_name, checked_at DESC, check_run_id DESC
        """,
        [TREND_RUNS],
    ).fetchall()
    histories: dict[str, TableHistory] = {}
    for table, run_id, checked_at, total, passed, failing_rows in runs:
        history = histories.setdefault(table, TableHistory(table, []))
        history.runs.append(TableRun(run_id, checked_at, int(passed), int(total), int(failing_rows)))
    shown = {(h.table, r.check_run_id) for h in histories.values() for r in h.shown_runs}
    if shown:
        rows = con.execute(
            "SELECT table_name, check_run_id, expectation, success, observed, failing_count, blocking, failing_sample "
            "FROM meta.check_results WHERE check_run_id IN (SELECT unnest(?))",
            [sorted({run_id for _, run_id in shown})],
        ).fetchall()
        for table, run_id, expectation, success, observed, failing_count, blocking, sample in rows:
            if (table, run_id) not in shown:
                continue
            histories[table].results.setdefault(expectation, {})[run_id] = Result(
                success, observed, failing_count, blocking, json.loads(sample) if sample else []
            )
    return [histories[name] for name in sorted(histories)]
