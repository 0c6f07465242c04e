"""``riftlab check``: every suite's expectations evaluated against its published table.

The engine decides each outcome (with a sample of failing rows); outcomes land in
``meta.check_results``, GX renders Data Docs from the same batches, and ``<reports>/checks.html``,
the data-quality report a person reads (offline), shows the run and every table's check history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse import db
from warehouse.checks import engine
from warehouse.checks.data_docs import DataDocs
from warehouse.checks.results import Outcome, store_outcomes
from warehouse.checks.settings import checks_settings
from warehouse.checks.suites import Suite, load_suites
from warehouse.errors import RiftlabError, WarehouseError
from warehouse.project import Project
from warehouse.runner.nodes import relation as relation_of

DOCS_FOLDER = "data-docs"


class ChecksFailed(RiftlabError):
    """One or more expectations failed (the message names them, with failing rows)."""


@dataclass
class CheckRun:
    """One ``riftlab check``: its outcomes, the suites it skipped, and the pages it wrote."""

    check_run_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[Suite] = field(default_factory=list)  # suites whose table is not built
    docs_index: Path | None = None
    summary_page: Path | None = None  # riftlab's own page: every outcome and the failing rows

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def tables(self) -> list[str]:
        return list(dict.fromkeys(o.table for o in self.outcomes))

    def failure_message(self, rows: int = 3) -> str:
        failures = self.failures
        blocking = sum(o.expectation.blocking for o in failures)
        head = f"{len(failures)} of {len(self.outcomes)} expectation(s) failed ({blocking} blocking):"
        return head + "\n" + "\n".join("  " + o.failure_text(rows).replace("\n", "\n  ") for o in failures)


def new_check_run_id() -> str:
    return db.utcnow().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def missing_table_message(suites: list[Suite]) -> str:
    parts = [f"main.{s.table} (suite {s.display}): {s.made_by} makes it" for s in suites]
    return "cannot check tables that are not built: " + "; ".join(parts)


def write_summary_page(project: Project, run: CheckRun | None, con: duckdb.DuckDBPyConnection) -> Path:
    """``<reports>/checks.html``, the data-quality report: this run's outcomes with their failing rows, and every
    table's check history from ``meta.check_results``; self-contained (no network), replaced atomically."""
    from warehouse.reports import quality
    from warehouse.reports.html import render_page

    target = project.reports_dir / "checks.html"
    index = run.docs_index if run is not None else project.reports_dir / DOCS_FOLDER / "index.html"
    docs = index.relative_to(target.parent).as_posix() if index is not None and index.is_file() else None
    generated = db.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    return render_page(
        "checks.html.j2",
        target,
        run=run,
        histories=quality.table_histories(con),
        runs_shown=quality.RUNS_SHOWN,
        trend_runs=quality.TREND_RUNS,
        docs_index=docs,
        generated_at=generated,
        warehouse=project.db_path,
    )


def _check_suite(
    con: duckdb.DuckDBPyConnection, suite: Suite, context: engine.Context, docs: DataDocs | None
) -> list[Outcome]:
    """Evaluate the suite against its published table (and record its batches for Data Docs)."""
    relation = relation_of(suite.table)
    outcomes = [engine.evaluate(con, suite, expectation, relation, context) for expectation in suite.expectations]
    if docs is not None:
        docs.record(con, suite, relation, outcomes, context)
    return outcomes


def _check_suites(
    con: duckdb.DuckDBPyConnection, suites: list[Suite], context: engine.Context, docs: DataDocs | None, console
) -> list[Outcome]:
    """Every suite's outcomes, with a progress bar on ``console`` when there is one."""
    if console is None:
        return [o for suite in suites for o in _check_suite(con, suite, context, docs)]
    from rich.markup import escape
    from rich.progress import Progress

    outcomes: list[Outcome] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("checking", total=len(suites))
        for suite in suites:
            progress.update(task, description=f"checking {escape(suite.table)}")
            outcomes.extend(_check_suite(con, suite, context, docs))
            progress.advance(task)
    return outcomes


def run_checks(
    project: Project,
    select: tuple[str, ...] | list[str] = (),
    skip_missing: bool = False,
    console=None,
) -> CheckRun:
    """Run the suites (all, or the selected tables'), store outcomes, build Data Docs."""
    suites = load_suites(project.transforms_dir, project.root, select)
    if not suites:
        raise RiftlabError(
            f"no expectation suites in {project.transforms_dir / 'expectations'} (one <table>.yml per published table)"
        )
    con = project.connect()
    try:
        missing = [s for s in suites if not db.table_exists(con, "main", s.table)]
        if missing and not skip_missing:
            raise WarehouseError(missing_table_message(missing))
        present = [s for s in suites if s not in missing]
        run = CheckRun(new_check_run_id(), skipped=missing)
        if not present:
            return run
        docs = DataDocs(project.reports_dir / DOCS_FOLDER) if checks_settings(project.config)["data_docs"] else None
        run.outcomes = _check_suites(con, present, engine.Context.of(project), docs, console)
        store_outcomes(con, run.check_run_id, run.outcomes)
        run.docs_index = docs.build() if docs is not None else None
        run.summary_page = write_summary_page(project, run, con)
        return run
    finally:
        con.close()
