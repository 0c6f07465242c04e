"""The one way riftlab evaluates an expectation: DuckDB queries of the failing rows.

The build gate and ``riftlab check`` both call :func:`evaluate`.  A SQL expectation is a query of
failing rows, rendered by the runner's renderer; a GX expectation type is translated into such a
query with GX's semantics (value checks ignore nulls, ``mostly`` tolerates a share of failing rows),
which ``tests/checks/test_agreement.py`` proves against Great Expectations type by type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.checks.results import Outcome, rows_as_dicts
from warehouse.checks.settings import checks_settings
from warehouse.errors import ConfigError, did_you_mean
from warehouse.runner.nodes import relation as relation_of
from warehouse.runner.rendering import render
from warehouse.runner.rules import check_regex, load_rule_files
from warehouse.sql_literals import literal, quote_identifier

if TYPE_CHECKING:
    from warehouse.checks.suites import Expectation, Suite
    from warehouse.project import Project


@dataclass(frozen=True)
class Context:
    """What an evaluation reads besides the relation: riftlab.yaml ``vars``, the rule files, sample sizes."""

    variables: dict[str, Any]
    rules: dict[str, Any]
    sample_rows: int = 5
    sample_value_chars: int = 160
    #: ref name -> relation, where a ref is not main.<name> (a custom schema, or a table being built)
    relations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(
        cls, project: Project, rules: dict[str, Any] | None = None, relations: dict[str, str] | None = None
    ) -> Context:
        """The project's context; ``rules`` (already loaded rule files) saves reading them again."""
        settings = checks_settings(project.config)
        if rules is None:
            rules = load_rule_files(project.transforms_dir / "rules", project.root)
        return cls(
            variables=dict(project.config.get("vars") or {}),
            rules=rules,
            sample_rows=settings["sample_rows"],
            sample_value_chars=settings["sample_value_chars"],
            relations=dict(relations or {}),
        )


@dataclass(frozen=True)
class RowCheck:
    """A check of rows: the rows it looks at and, among them, the failing ones (GX's "unexpected")."""

    checked: str
    failing: str


@dataclass(frozen=True)
class TableCheck:
    """A check of the table as a whole: a scalar query and whether its value passes."""

    observed: str
    passes: Callable[[Any], bool]


# (kwargs, source relation, value expression) -> the check
Form = Callable[[dict[str, Any], str, str], RowCheck | TableCheck]


@dataclass(frozen=True)
class ExpectationType:
    """A GX expectation type the engine evaluates: its kwargs and its DuckDB form."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    form: Form
    column_values: bool = True  # checks one column's values: `unnest: true` applies


def _values(failing: Callable[[str, dict[str, Any]], str]) -> Form:
    """A check of a column's non-null values (GX ignores nulls); ``failing`` is the failing condition."""

    def form(kwargs: dict[str, Any], source: str, value: str) -> RowCheck:
        checked = f"SELECT * FROM {source} WHERE {value} IS NOT NULL"
        return RowCheck(checked, f"{checked} AND ({failing(value, kwargs)})")

    return form


def _not_null(kwargs: dict[str, Any], source: str, value: str) -> RowCheck:
    return RowCheck(f"SELECT * FROM {source}", f"SELECT * FROM {source} WHERE {value} IS NULL")


def _null(kwargs: dict[str, Any], source: str, value: str) -> RowCheck:
    return RowCheck(f"SELECT * FROM {source}", f"SELECT * FROM {source} WHERE {value} IS NOT NULL")


def _unique(kwargs: dict[str, Any], source: str, value: str) -> RowCheck:
    checked = f"SELECT * FROM {source} WHERE {value} IS NOT NULL"
    return RowCheck(checked, f"{checked} QUALIFY count(*) OVER (PARTITION BY {value}) > 1")


_IGNORED_ROWS = {"all_values_are_missing": " AND ", "any_value_is_missing": " OR "}


def _compound_unique(kwargs: dict[str, Any], source: str, value: str) -> RowCheck:
    columns = [quote_identifier(c) for c in kwargs["column_list"]]
    joiner = _IGNORED_ROWS.get(kwargs.get("ignore_row_if", "all_values_are_missing"))
    kept = f" WHERE NOT ({joiner.join(f'{c} IS NULL' for c in columns)})" if joiner else ""
    checked = f"SELECT * FROM {source}{kept}"
    return RowCheck(checked, f"{checked} QUALIFY count(*) OVER (PARTITION BY {', '.join(columns)}) > 1")


def _in_set(value: str, kwargs: dict[str, Any]) -> str:
    values = kwargs["value_set"]
    return f"list_contains([{', '.join(literal(v) for v in values)}], {value})" if values else "FALSE"


def _outside(value: str, kwargs: dict[str, Any]) -> str:
    """``value`` lies outside ``[min_value, max_value]`` (bounds exclusive where ``strict_*``)."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    parts = []
    if low is not None:
        parts.append(f"{value} {'<=' if kwargs.get('strict_min') else '<'} {literal(low)}")
    if high is not None:
        parts.append(f"{value} {'>=' if kwargs.get('strict_max') else '>'} {literal(high)}")
    return " OR ".join(parts)


def _within(observed: Any, kwargs: dict[str, Any]) -> bool:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and (observed <= low if kwargs.get("strict_min") else observed < low):
        return False
    return not (high is not None and (observed >= high if kwargs.get("strict_max") else observed > high))


def _matches(value: str, kwargs: dict[str, Any]) -> str:
    """GX matches a regex anywhere in the value's text (pandas ``str.contains``); so does ``regexp_matches``."""
    return f"regexp_matches(CAST({value} AS VARCHAR), {literal(kwargs.get('regex', '(?s).*'))})"


def _row_count(passes: Callable[[int, dict[str, Any]], bool]) -> Form:
    def form(kwargs: dict[str, Any], source: str, value: str) -> TableCheck:
        return TableCheck(f"SELECT count(*) FROM {source}", lambda n: passes(n, kwargs))

    return form


def _column_exists(kwargs: dict[str, Any], source: str, value: str) -> TableCheck:
    column = literal(kwargs["column"])
    return TableCheck(
        f"SELECT count(*) FROM (DESCRIBE SELECT * FROM {source}) WHERE column_name = {column}", lambda n: n == 1
    )


_BOUNDS = ("min_value", "max_value", "strict_min", "strict_max")

TYPES: dict[str, ExpectationType] = {
    "expect_column_values_to_not_be_null": ExpectationType(("column",), ("mostly",), _not_null),
    "expect_column_values_to_be_null": ExpectationType(("column",), ("mostly",), _null),
    "expect_column_values_to_be_unique": ExpectationType(("column",), ("mostly",), _unique),
    "expect_column_values_to_be_in_set": ExpectationType(
        ("column", "value_set"), ("mostly",), _values(lambda v, k: f"NOT {_in_set(v, k)}")
    ),
    "expect_column_values_to_not_be_in_set": ExpectationType(("column", "value_set"), ("mostly",), _values(_in_set)),
    "expect_column_values_to_be_between": ExpectationType(("column",), ("mostly", *_BOUNDS), _values(_outside)),
    "expect_column_value_lengths_to_be_between": ExpectationType(
        ("column",), ("mostly", *_BOUNDS), _values(lambda v, k: _outside(f"length({v})", k))
    ),
    "expect_column_value_lengths_to_equal": ExpectationType(
        ("column", "value"), ("mostly",), _values(lambda v, k: f"length({v}) <> {literal(k['value'])}")
    ),
    "expect_column_values_to_match_regex": ExpectationType(
        ("column",), ("mostly", "regex"), _values(lambda v, k: f"NOT {_matches(v, k)}")
    ),
    "expect_column_values_to_not_match_regex": ExpectationType(("column", "regex"), ("mostly",), _values(_matches)),
    "expect_compound_columns_to_be_unique": ExpectationType(
        ("column_list",), ("mostly", "ignore_row_if"), _compound_unique, column_values=False
    ),
    "expect_table_row_count_to_be_between": ExpectationType((), _BOUNDS, _row_count(_within), column_values=False),
    "expect_table_row_count_to_equal": ExpectationType(
        ("value",), (), _row_count(lambda n, k: n == k["value"]), column_values=False
    ),
    "expect_column_to_exist": ExpectationType(("column",), (), _column_exists, column_values=False),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# kwarg -> (accepts the value?, what it must be)
_KWARGS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "column": (lambda v: isinstance(v, str), "a column name"),
    "column_list": (
        lambda v: isinstance(v, list) and bool(v) and all(isinstance(c, str) for c in v),
        "a non-empty list of column names",
    ),
    "value_set": (
        lambda v: isinstance(v, list) and all(x is None or isinstance(x, (str, int, float)) for x in v),
        "a list of values (text, numbers, true/false)",
    ),
    "mostly": (lambda v: _is_number(v) and 0 <= v <= 1, "a number from 0 to 1"),
    "min_value": (lambda v: v is None or _is_number(v), "a number"),
    "max_value": (lambda v: v is None or _is_number(v), "a number"),
    "strict_min": (lambda v: isinstance(v, bool), "true or false"),
    "strict_max": (lambda v: isinstance(v, bool), "true or false"),
    "value": (_is_number, "a number"),
    "regex": (lambda v: isinstance(v, str), "a regular expression"),
    "ignore_row_if": (
        lambda v: v in (*_IGNORED_ROWS, "never"),
        "one of all_values_are_missing, any_value_is_missing, never",
    ),
}


def check_expectation(type_: str, kwargs: dict[str, Any], unnest: bool, where: str) -> None:
    """Refuse a type the engine cannot evaluate, and kwargs it does not know or that have the wrong shape."""
    spec = TYPES.get(type_)
    if spec is None:
        raise ConfigError(
            f"{where}: {type_} is not an expectation type riftlab evaluates{did_you_mean(type_, list(TYPES))}; "
            f"use one of {', '.join(sorted(TYPES))}, or a SQL expectation"
        )
    allowed = (*spec.required, *spec.optional)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: {type_} takes no kwargs {', '.join(unknown)}; it takes {', '.join(allowed)}")
    missing = [name for name in spec.required if name not in kwargs]
    if missing:
        raise ConfigError(f"{where}: {type_} needs kwargs {', '.join(missing)}")
    for name, value in kwargs.items():
        accepts, shape = _KWARGS[name]
        if not accepts(value):
            raise ConfigError(f"{where}: kwargs.{name} must be {shape}, got {value!r}")
    if "regex" in kwargs:
        check_regex(kwargs["regex"], f"{where}: kwargs.regex")
    if "min_value" in allowed and kwargs.get("min_value") is None and kwargs.get("max_value") is None:
        raise ConfigError(f"{where}: {type_} needs kwargs min_value or max_value")
    if unnest and not spec.column_values:
        raise ConfigError(f"{where}: 'unnest: true' applies to a column's values, not to {type_}")


def translate(expectation: Expectation, relation: str) -> RowCheck | TableCheck:
    """The DuckDB form of a GX expectation against ``relation`` (a list column's elements with ``unnest``)."""
    kwargs = expectation.kwargs
    source, value = relation, quote_identifier(str(kwargs.get("column")))
    if expectation.unnest:
        source = f"(SELECT __t.*, unnest(__t.{value}) AS __element FROM {relation} AS __t)"
        value = "__element"
    return TYPES[expectation.type].form(kwargs, source, value)


def render_sql(suite: Suite, expectation: Expectation, relation: str, context: Context) -> str:
    """A SQL expectation's query with the runner's renderer: ``this`` is ``relation``; ``var``, ``ref``, ``rules``."""
    sql, _ = render(
        suite.path,
        expectation.sql or "",
        variables=context.variables,
        rules=context.rules,
        this=relation,
        resolve_ref=lambda name: context.relations.get(name) or relation_of(name),
        display=f"{suite.display} (expectation '{expectation.name}')",
    )
    return sql


def _sample(con: duckdb.DuckDBPyConnection, query: str, context: Context) -> list[dict[str, Any]]:
    """The first failing rows of ``query`` as plain dicts."""
    cursor = con.execute(f"SELECT * FROM ({query}) LIMIT {int(context.sample_rows)}")
    columns = [d[0] for d in cursor.description]
    return rows_as_dicts(columns, cursor.fetchall(), context.sample_value_chars)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]


def _unexpected(count: int, checked: int) -> str:
    """GX's way of saying it: ``3 unexpected (1.50%)``, the share of the rows the check looked at."""
    return f"{count} unexpected ({100 * count / checked:.2f}%)" if checked else f"{count} unexpected"


def evaluate(
    con: duckdb.DuckDBPyConnection, suite: Suite, expectation: Expectation, relation: str, context: Context
) -> Outcome:
    """Evaluate one expectation against ``relation``; a query DuckDB cannot run is a failed outcome."""
    try:
        if expectation.is_sql:
            query = render_sql(suite, expectation, relation, context)
            count = _count(con, query)
            sample = _sample(con, query, context) if count else []
            return Outcome(suite, expectation, count == 0, f"{count} failing row(s)", count, sample)
        check = translate(expectation, relation)
        if isinstance(check, TableCheck):
            observed = con.execute(check.observed).fetchall()[0][0]
            return Outcome(suite, expectation, success=bool(check.passes(observed)), observed=str(observed))
        count, checked = con.execute(
            f"SELECT (SELECT count(*) FROM ({check.failing})), (SELECT count(*) FROM ({check.checked}))"
        ).fetchall()[0]
        mostly = float(expectation.kwargs.get("mostly", 1))
        success = count == 0 or (checked - count) / checked >= mostly
        sample = _sample(con, check.failing, context) if count else []
        return Outcome(suite, expectation, success, _unexpected(count, checked), count, sample)
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0]
        return Outcome(
            suite, expectation, success=False, error=f"cannot run against {relation}: {message} ({suite.display})"
        )
