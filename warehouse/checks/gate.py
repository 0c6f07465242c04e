"""The publication gate: ``riftlab build`` publishes a table only when its blocking expectations pass.

The runner builds a model under a temporary name and asks :func:`blocking_failures` before swapping
it in; the engine evaluates on the build's own connection, inside its transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from warehouse.checks import engine
from warehouse.checks.results import Outcome
from warehouse.checks.suites import Suite, load_suites, suite_files
from warehouse.project import Project
from warehouse.runner.rules import load_rule_files

_CACHE: dict[tuple, tuple[dict[str, Suite], dict[str, Any]]] = {}


def _stamp(files: list[Path]) -> tuple:
    return tuple((str(f), f.stat().st_mtime_ns) for f in files)


def _declarations(project: Project) -> tuple[dict[str, Suite], dict[str, Any]]:
    """The suites by table and the rule files, re-read only when one of their files changes (once per model)."""
    rules_dir = project.transforms_dir / "rules"
    key = (
        str(project.transforms_dir),
        _stamp(suite_files(project.transforms_dir)),
        _stamp(sorted(rules_dir.glob("*.yml"))),
    )
    if key not in _CACHE:
        _CACHE.clear()
        suites = {s.table: s for s in load_suites(project.transforms_dir, project.root)}
        _CACHE[key] = suites, load_rule_files(rules_dir, project.root)
    return _CACHE[key]


def blocking_outcomes(
    con: duckdb.DuckDBPyConnection, project: Project, table_name: str, relation: str
) -> list[Outcome]:
    """Every blocking expectation of ``table_name``'s suite, evaluated against ``relation``."""
    suites, rules = _declarations(project)
    suite = suites.get(table_name)
    if suite is None or not suite.blocking:
        return []
    context = engine.Context.of(project, rules)
    return [engine.evaluate(con, suite, expectation, relation, context) for expectation in suite.blocking]


def blocking_failures(con: duckdb.DuckDBPyConnection, project: Project, table_name: str, relation: str) -> list[str]:
    """One line per failed blocking expectation, with sample rows; empty: publish."""
    return [o.failure_text() for o in blocking_outcomes(con, project, table_name, relation) if not o.success]
