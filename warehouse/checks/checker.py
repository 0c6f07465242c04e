"""Run expectation suites against published tables: the work behind ``riftlab check``.

Each suite's table is read from DuckDB into pandas (only the columns its
expectations name) and validated by GX; each SQL expectation's failing rows are
computed by DuckDB and validated by GX as "zero rows".  A failed expectation
gets a sample of its failing rows (from the DuckDB form of the check where
there is one), and every outcome lands in ``meta.check_results``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse import db
from warehouse.checks import native
from warehouse.checks.results import Outcome, plain, store_outcomes
from warehouse.checks.settings import checks_settings
from warehouse.checks.suites import Expectation, Suite, load_suites
from warehouse.errors import RiftlabError, WarehouseError
from warehouse.project import Project
from warehouse.sql_literals import quote_identifier

DOCS_FOLDER = "data-docs"


class ChecksFailed(RiftlabError):
    """One or more expectations failed (the message names them, with failing rows)."""


@dataclass
class CheckRun:
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
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def relation_of(table: str) -> str:
    return f"main.{quote_identifier(table)}"


def missing_table_message(suites: list[Suite]) -> str:
    parts = [f"main.{s.table} (suite {s.display}): {s.made_by} makes it" for s in suites]
    return "cannot check tables that are not built: " + "; ".join(parts)


def _table_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _batches(suite: Suite) -> list[tuple[str, str | None, list[Expectation]]]:
    """Group a suite's GX expectations: (batch name, unnested column or None, expectations)."""
    table = [e for e in suite.expectations if not e.is_sql and not e.unnest]
    batches: list[tuple[str, str | None, list[Expectation]]] = []
    if table:
        batches.append((suite.table, None, table))
    unnested: dict[str, list[Expectation]] = {}
    for expectation in suite.expectations:
        if expectation.unnest:
            unnested.setdefault(str(expectation.column), []).append(expectation)
    batches.extend((f"{suite.table}.{column}[*]", column, items) for column, items in unnested.items())
    return batches


class Checker:
    """Validates suites with GX, samples failing rows with DuckDB."""

    def __init__(self, project: Project, con: duckdb.DuckDBPyConnection, docs_dir: Path | None):
        from warehouse.checks.gx_validation import GXSession

        self.project = project
        self.con = con
        self.settings = checks_settings(project.config)
        self.variables = dict(project.config.get("vars") or {})
        self.rules = native.RuleFiles(project.transforms_dir / "rules")
        self.session = GXSession(docs_dir)

    def _sample(self, query: str) -> list[dict[str, Any]]:
        return native.fetch_sample(self.con, query, self.settings["sample_rows"], self.settings["sample_value_chars"])

    def check_suite(self, suite: Suite, relation: str | None = None) -> list[Outcome]:
        relation = relation or relation_of(suite.table)
        outcomes: dict[str, Outcome] = {}
        existing = set(_table_columns(self.con, relation))
        for batch_name, unnested, expectations in _batches(suite):
            if unnested is None:
                wanted = [c for e in expectations for c in e.columns() if c in existing]
                columns = ", ".join(quote_identifier(c) for c in dict.fromkeys(wanted)) or "1 AS __row"
                query = f"SELECT {columns} FROM {relation}"
            elif unnested not in existing:
                for e in expectations:
                    outcomes[e.name] = Outcome(
                        suite, e, success=False, error=f"{relation} has no column '{unnested}' ({suite.display})"
                    )
                continue
            else:
                query = f"SELECT unnest({quote_identifier(unnested)}) AS {quote_identifier(unnested)} FROM {relation}"
            frame = self.con.execute(query).df()
            for result in self.session.validate(suite, batch_name, frame, expectations):
                outcome = Outcome(
                    suite,
                    result.expectation,
                    success=result.success,
                    observed=result.observed,
                    failing_count=result.unexpected_count,
                    error=result.error,
                )
                if not result.success and result.error is None:
                    outcome.failing_sample = self._failing_sample(
                        result.expectation, relation, result.partial_unexpected
                    )
                outcomes[result.expectation.name] = outcome
        for expectation in suite.expectations:
            if expectation.is_sql:
                outcomes[expectation.name] = self._check_sql(suite, expectation, relation)
        return [outcomes[e.name] for e in suite.expectations]

    def _failing_sample(self, expectation: Expectation, relation: str, partial: list[Any]) -> list[dict[str, Any]]:
        translation = native.translate(expectation, relation)
        if translation is not None and translation.failing is not None:
            try:
                return self._sample(translation.failing)
            except duckdb.Error:
                pass
        chars = self.settings["sample_value_chars"]
        return [{"value": plain(v, chars)} for v in partial[: self.settings["sample_rows"]]]

    def _check_sql(self, suite: Suite, expectation: Expectation, relation: str) -> Outcome:
        query = native.render_sql(suite, expectation, relation, self.variables, self.rules)
        try:
            frame = self.con.execute(query).df()
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            return Outcome(suite, expectation, success=False, error=f"SQL failed: {message} ({suite.display})")
        (result,) = self.session.validate(suite, f"{suite.table}.{expectation.name}", frame, [expectation])
        count = len(frame)
        chars = self.settings["sample_value_chars"]
        sample = [
            {str(k): plain(v, chars) for k, v in row.items()}
            for row in frame.head(self.settings["sample_rows"]).to_dict("records")
        ]
        return Outcome(
            suite,
            expectation,
            success=result.success,
            observed=f"{count} failing row(s)",
            failing_count=count,
            failing_sample=sample,
            error=result.error,
        )


def write_summary_page(project: Project, run: CheckRun) -> Path:
    """``<reports>/checks.html``: the outcomes with their failing rows, linking to Data Docs."""
    from warehouse.reports.html import render_page

    target = project.reports_dir / "checks.html"
    docs = run.docs_index.relative_to(target.parent).as_posix() if run.docs_index else None
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return render_page(
        "checks.html.j2", target, run=run, docs_index=docs, generated_at=generated, warehouse=project.db_path
    )


def run_checks(
    project: Project,
    select: tuple[str, ...] | list[str] = (),
    skip_missing: bool = False,
    console=None,
) -> CheckRun:
    """Run the suites (all, or the selected tables'), store outcomes, build Data Docs."""
    settings = checks_settings(project.config)
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
        docs_dir = project.reports_dir / DOCS_FOLDER if settings["data_docs"] else None
        checker = Checker(project, con, docs_dir)
        if console is not None:
            from rich.markup import escape
            from rich.progress import Progress

            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("checking", total=len(present))
                for suite in present:
                    progress.update(task, description=f"checking {escape(suite.table)}")
                    run.outcomes.extend(checker.check_suite(suite))
                    progress.advance(task)
        else:
            for suite in present:
                run.outcomes.extend(checker.check_suite(suite))
        store_outcomes(con, run.check_run_id, run.outcomes)
        run.docs_index = checker.session.build_data_docs()
        run.summary_page = write_summary_page(project, run)
        return run
    finally:
        con.close()
