"""The publication gate: blocking expectations decide whether a built table is published.

``riftlab build`` builds a model under a temporary name and calls
:func:`blocking_failures` before swapping it in; a non-empty answer keeps the
previous version published.  Blocking expectations run directly in DuckDB on the
build's own connection (inside its transaction), so the gate costs a few queries
per model and never imports Great Expectations, except for a blocking
expectation type that has no DuckDB form, which GX then validates on a DataFrame.
"""

from __future__ import annotations

import duckdb

from warehouse.checks import native
from warehouse.checks.results import Outcome
from warehouse.checks.settings import checks_settings
from warehouse.checks.suites import Expectation, Suite, load_suites, suite_files
from warehouse.project import Project

_CACHE: dict[tuple, dict[str, Suite]] = {}


def suites_by_table(project: Project) -> dict[str, Suite]:
    """The project's suites by table, re-read only when a suite file changes."""
    files = suite_files(project.transforms_dir)
    key = (str(project.transforms_dir), tuple((str(f), f.stat().st_mtime_ns) for f in files))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = {s.table: s for s in load_suites(project.transforms_dir, project.root)}
    return _CACHE[key]


def _with_gx(
    con: duckdb.DuckDBPyConnection, suite: Suite, expectations: list[Expectation], relation: str
) -> list[Outcome]:
    """Blocking expectations with no DuckDB form: validate the relation with GX."""
    from warehouse.checks.gx_validation import GXSession

    columns = [c for e in expectations for c in e.columns()]
    frame = con.execute(f"SELECT * FROM {relation}").df()
    frame = frame[[c for c in dict.fromkeys(columns) if c in frame.columns]] if columns else frame
    session = GXSession(docs_dir=None)
    outcomes = []
    for expectation in expectations:
        source = frame
        if expectation.unnest:
            source = frame[[expectation.column]].explode(expectation.column)
        (result,) = session.validate(suite, f"gate.{suite.table}.{expectation.name}", source, [expectation])
        outcomes.append(
            Outcome(
                suite,
                expectation,
                result.success,
                result.observed,
                result.unexpected_count,
                [{"value": v} for v in result.partial_unexpected[:5]],
                result.error,
            )
        )
    return outcomes


def blocking_outcomes(
    con: duckdb.DuckDBPyConnection, project: Project, table_name: str, relation: str
) -> list[Outcome]:
    """Every blocking expectation of ``table_name``'s suite, evaluated against ``relation``."""
    suite = suites_by_table(project).get(table_name)
    if suite is None or not suite.blocking:
        return []
    settings = checks_settings(project.config)
    variables = dict(project.config.get("vars") or {})
    rules = native.RuleFiles(project.transforms_dir / "rules")
    outcomes: list[Outcome] = []
    need_gx: list[Expectation] = []
    for expectation in suite.blocking:
        outcome = native.evaluate(
            con, suite, expectation, relation, variables, settings["sample_rows"], settings["sample_value_chars"], rules
        )
        if outcome is None:
            need_gx.append(expectation)
        else:
            outcomes.append(outcome)
    if need_gx:
        outcomes.extend(_with_gx(con, suite, need_gx, relation))
    return outcomes


def blocking_failures(con: duckdb.DuckDBPyConnection, project: Project, table_name: str, relation: str) -> list[str]:
    """Human-readable lines, one per failed blocking expectation (with sample rows); empty = publish."""
    return [o.failure_text() for o in blocking_outcomes(con, project, table_name, relation) if not o.success]
