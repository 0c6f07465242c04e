"""Expectations evaluated directly in DuckDB.

Two jobs: render and run riftlab SQL expectations (a query of failing rows),
and translate the common GX expectation types into the equivalent "failing
rows" query, with GX's semantics (nulls are ignored by value checks, ``mostly``
allows a fraction of failures).  The publication gate uses these, so a build
checks its blocking expectations in milliseconds without importing GX;
``riftlab check`` uses them to list the failing rows of a failed GX expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from warehouse.checks.results import Outcome, rows_as_dicts
from warehouse.checks.suites import Expectation, Suite
from warehouse.errors import ConfigError
from warehouse.runner.rules import load_rule_file
from warehouse.sql_literals import list_literal, literal, quote_identifier

_MISSING = object()


class RuleFiles(Mapping):
    """``rules.<stem>`` in SQL expectations: ``transforms/rules/<stem>.yml``, parsed on first use.

    Read as the runner reads it (validated, defaults filled), so a check sees the rules a model saw.
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._loaded: dict[str, Any] = {}

    def _path(self, stem: str) -> Path | None:
        if self.folder is None:
            return None
        for suffix in (".yml", ".yaml"):
            if (self.folder / f"{stem}{suffix}").is_file():
                return self.folder / f"{stem}{suffix}"
        return None

    def __getitem__(self, stem: str) -> Any:
        if stem not in self._loaded:
            path = self._path(stem)
            if path is None:
                raise KeyError(stem)
            self._loaded[stem] = load_rule_file(path, str(path))
        return self._loaded[stem]

    def __iter__(self):
        if self.folder is None or not self.folder.is_dir():
            return iter(())
        return iter(sorted({p.stem for p in self.folder.iterdir() if p.suffix in (".yml", ".yaml")}))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def render_sql(
    suite: Suite, expectation: Expectation, relation: str, variables: dict[str, Any], rules: Mapping | None = None
) -> str:
    """Render a SQL expectation: ``this`` -> ``relation``, ``var()``, ``ref()``, ``rules.<file>``."""

    def var(name: str, default: Any = _MISSING) -> Any:
        if name in variables:
            return variables[name]
        if default is _MISSING:
            raise ConfigError(
                f"{suite.display}: expectation '{expectation.name}' reads var('{name}'), "
                "which riftlab.yaml 'vars' does not set and which has no default"
            )
        return default

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        return environment.from_string(expectation.sql or "").render(
            this=relation,
            var=var,
            rules=rules if rules is not None else RuleFiles(None),
            ref=lambda name, schema="main": f"{schema}.{quote_identifier(name)}",
            literal=literal,
            sql_list=list_literal,
        )
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{suite.display}: expectation '{expectation.name}': Jinja error: {exc}") from None


@dataclass(frozen=True)
class Translation:
    """A GX expectation as DuckDB SQL.

    Row checks give ``failing`` (a query of the failing rows) and ``checked`` (a
    query of the rows the check looks at, to apply ``mostly``); table checks give
    ``observed`` (a scalar query) and a predicate on it.
    """

    failing: str | None = None
    checked: str | None = None
    observed: str | None = None
    predicate: Any = None  # callable(observed) -> bool


def _between(column_sql: str, kwargs: dict[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    strict_low, strict_high = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    parts = []
    if low is not None:
        parts.append(f"{column_sql} {'<=' if strict_low else '<'} {literal(low)}")
    if high is not None:
        parts.append(f"{column_sql} {'>=' if strict_high else '>'} {literal(high)}")
    return " OR ".join(parts) or "FALSE"


def _in_range(value: Any, kwargs: dict[str, Any]) -> bool:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if value is None:
        return False
    if low is not None and (value <= low if kwargs.get("strict_min") else value < low):
        return False
    if high is not None and (value >= high if kwargs.get("strict_max") else value > high):
        return False
    return True


def translate(expectation: Expectation, relation: str) -> Translation | None:
    """The DuckDB form of a GX expectation, or None when this type has none (GX runs it)."""
    kwargs = expectation.kwargs
    if "row_condition" in kwargs:
        return None
    type_ = expectation.type
    if type_ == "expect_table_row_count_to_be_between":
        return Translation(observed=f"SELECT count(*) FROM {relation}", predicate=lambda n: _in_range(n, kwargs))
    if type_ == "expect_table_row_count_to_equal":
        return Translation(observed=f"SELECT count(*) FROM {relation}", predicate=lambda n: n == kwargs.get("value"))
    if type_ == "expect_column_to_exist":
        column = str(kwargs.get("column"))
        return Translation(
            observed=f"SELECT count(*) FROM (DESCRIBE SELECT * FROM {relation}) WHERE column_name = {literal(column)}",
            predicate=lambda n: n == 1,
        )
    if type_ == "expect_compound_columns_to_be_unique":
        columns = [quote_identifier(c) for c in kwargs.get("column_list") or []]
        if not columns:
            return None
        key = ", ".join(columns)
        return Translation(
            failing=f"SELECT * FROM {relation} WHERE ({key}) IN (SELECT ({key}) FROM {relation} GROUP BY ALL HAVING count(*) > 1)",
            checked=f"SELECT * FROM {relation}",
        )
    column = kwargs.get("column")
    if not isinstance(column, str):
        return None
    source = relation
    value = quote_identifier(column)
    if expectation.unnest:
        source = f"(SELECT __t.*, unnest(__t.{quote_identifier(column)}) AS __element FROM {relation} AS __t)"
        value = "__element"
    checked = f"SELECT * FROM {source} WHERE {value} IS NOT NULL"
    if type_ == "expect_column_values_to_not_be_null":
        return Translation(failing=f"SELECT * FROM {source} WHERE {value} IS NULL", checked=f"SELECT * FROM {source}")
    if type_ == "expect_column_values_to_be_null":
        return Translation(failing=checked, checked=f"SELECT * FROM {source}")
    if type_ == "expect_column_values_to_be_unique":
        return Translation(
            failing=f"SELECT * FROM {source} WHERE {value} IN "
            f"(SELECT {value} FROM {source} WHERE {value} IS NOT NULL GROUP BY {value} HAVING count(*) > 1)",
            checked=checked,
        )
    if type_ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        values = kwargs.get("value_set") or []
        listed = "[" + ", ".join(literal(v) for v in values) + "]"
        test = "NOT list_contains" if type_ == "expect_column_values_to_be_in_set" else "list_contains"
        return Translation(failing=f"{checked} AND {test}({listed}, {value})", checked=checked)
    if type_ == "expect_column_values_to_be_between":
        return Translation(failing=f"{checked} AND ({_between(value, kwargs)})", checked=checked)
    if type_ == "expect_column_value_lengths_to_be_between":
        return Translation(failing=f"{checked} AND ({_between(f'length({value})', kwargs)})", checked=checked)
    if type_ == "expect_column_value_lengths_to_equal":
        return Translation(failing=f"{checked} AND length({value}) <> {literal(kwargs.get('value'))}", checked=checked)
    return None


def fetch_sample(con: duckdb.DuckDBPyConnection, query: str, limit: int, max_chars: int) -> list[dict[str, Any]]:
    """The first ``limit`` rows of ``query`` as plain dicts."""
    cursor = con.execute(f"SELECT * FROM ({query}) LIMIT {limit}")
    columns = [d[0] for d in cursor.description]
    return rows_as_dicts(columns, cursor.fetchall(), max_chars)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def evaluate(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    expectation: Expectation,
    relation: str,
    variables: dict[str, Any],
    sample_rows: int = 5,
    max_chars: int = 160,
    rules: Mapping | None = None,
) -> Outcome | None:
    """Run one expectation in DuckDB; None when its type has no DuckDB form."""
    try:
        if expectation.is_sql:
            query = render_sql(suite, expectation, relation, variables, rules)
            count = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
            sample = fetch_sample(con, query, sample_rows, max_chars) if count else []
            return Outcome(
                suite,
                expectation,
                success=count == 0,
                observed=f"{count} failing row(s)",
                failing_count=count,
                failing_sample=sample,
            )
        translation = translate(expectation, relation)
        if translation is None:
            return None
        if translation.observed is not None:
            observed = con.execute(translation.observed).fetchall()[0][0]
            return Outcome(suite, expectation, success=bool(translation.predicate(observed)), observed=str(observed))
        count = con.execute(f"SELECT count(*) FROM ({translation.failing})").fetchall()[0][0]
        mostly = expectation.kwargs.get("mostly")
        if count and mostly is not None:
            total = con.execute(f"SELECT count(*) FROM ({translation.checked})").fetchall()[0][0]
            success = total == 0 or (total - count) / total >= float(mostly)
        else:
            success = count == 0
        sample = fetch_sample(con, translation.failing, sample_rows, max_chars) if count else []
        return Outcome(
            suite,
            expectation,
            success=success,
            observed=f"{count} unexpected",
            failing_count=count,
            failing_sample=sample,
        )
    except duckdb.Error as exc:
        return Outcome(
            suite,
            expectation,
            success=False,
            error=f"cannot run against {relation}: {_first_line(exc)} ({suite.display})",
        )
