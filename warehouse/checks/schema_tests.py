"""dbt data tests as checks of the one engine (:mod:`warehouse.checks.engine`).

``unique``, ``not_null`` and ``accepted_values`` become the GX expectations the engine already
evaluates (``expect_column_values_to_be_unique``, ``..._to_not_be_null``, ``..._to_be_in_set``; dbt's
and GX's semantics agree: nulls are neither duplicates nor unexpected values); ``relationships`` and
singular tests become SQL expectations (queries of the failing rows).  ``where`` narrows the relation
under test; ``severity: error`` makes the check blocking: the build's publication gate keeps the
previous version of a model whose error-severity test fails, and its descendants are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.checks import engine
from warehouse.checks.results import Outcome
from warehouse.checks.suites import SQL_TYPE, Expectation, Suite
from warehouse.runner.nodes import DataTest
from warehouse.sql_literals import quote_identifier

_TYPES = {
    "unique": "expect_column_values_to_be_unique",
    "not_null": "expect_column_values_to_not_be_null",
    "accepted_values": "expect_column_values_to_be_in_set",
}


def expectation_of(test: DataTest) -> Expectation:
    """The engine's expectation for ``test``."""
    if test.test_type == "singular":
        sql = test.template
    elif test.test_name == "relationships":
        column, target = quote_identifier(test.column or ""), quote_identifier(test.kwargs["field"])
        parent = "{{ ref('" + test.kwargs["to_node"] + "') }}"
        sql = (
            f"SELECT * FROM {{{{ this }}}} AS child WHERE child.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} AS parent WHERE parent.{target} = child.{column})"
        )
    else:
        kwargs = {"column": test.column}
        if test.test_name == "accepted_values":
            kwargs["value_set"] = list(test.kwargs["values"])
        return Expectation(
            name=test.name,
            type=_TYPES[test.test_name],
            kwargs=kwargs,
            blocking=test.blocking,
            description=test.description,
        )
    return Expectation(name=test.name, type=SQL_TYPE, sql=sql, blocking=test.blocking, description=test.description)


def suite_of(test: DataTest, root: Path) -> Suite:
    """A one-expectation suite: the table is the model the test is declared on."""
    display = test.display_path(root)
    if test.test_type == "generic":
        display = f"{display} ({test.name})"
    table = test.attached_to or test.name
    return Suite(
        table=table,
        path=test.path,
        display=display,
        made_by=f"`riftlab build --select {table}`",
        expectations=(expectation_of(test),),
        description=test.description,
    )


def relation_under_test(test: DataTest, relation: str) -> str:
    """The relation a test reads: the model's, narrowed by ``where``."""
    return f"(SELECT * FROM {relation} WHERE {test.where})" if test.where else relation


@dataclass
class TestOutcome:
    """A data test's verdict: the engine's outcome and dbt's status (pass, fail, warn, error)."""

    test: DataTest
    outcome: Outcome

    @property
    def status(self) -> str:
        if self.outcome.success:
            return "pass"
        if self.outcome.error:
            return "error"
        return "fail" if self.test.blocking else "warn"

    @property
    def blocks(self) -> bool:
        """Stops the descendants of the nodes it reads: a failed error-severity test, or a test that could
        not run (whatever its severity, as in dbt; in the build's gate its error also aborted the transaction)."""
        return self.status in ("fail", "error")

    def message(self, rows: int = 3) -> str:
        """``test not_null_orders_id on orders failed: 2 failing row(s)`` and a few failing rows."""
        on = f" on {self.test.attached_to}" if self.test.attached_to else f" on {', '.join(self.test.depends_on)}"
        verdict = {"pass": "passed", "fail": "failed", "warn": "warned", "error": "could not run"}[self.status]
        what = self.outcome.error or self.outcome.observed or ""
        if self.outcome.failing_count is not None and not self.outcome.error:
            what = f"{self.outcome.failing_count} failing row(s)"
        lines = [f"test {self.test.name}{on} {verdict}: {what}"]
        lines.extend(
            f"    {json.dumps(row, ensure_ascii=False, default=str)}" for row in self.outcome.failing_sample[:rows]
        )
        return "\n".join(lines)


def evaluate_test(
    con: duckdb.DuckDBPyConnection, test: DataTest, relation: str, context: engine.Context, root: Path
) -> TestOutcome:
    """Evaluate ``test`` against ``relation`` (its model's; unused by singular tests, which ref() their tables)."""
    suite = suite_of(test, root)
    expectation = suite.expectations[0]
    return TestOutcome(test, engine.evaluate(con, suite, expectation, relation_under_test(test, relation), context))
