"""What the docs page says about each node besides lineage: schema.yml descriptions and tests,
expectation suites, the last build (``meta.model_runs``), row counts and the last check results
(``meta.check_results``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from warehouse import db
from warehouse.config import read_yaml
from warehouse.runner.manifest import Manifest
from warehouse.sql_literals import quote_identifier


@dataclass
class DeclaredDocs:
    """A model's entry in ``schema.yml``: column descriptions and the dbt-style tests it declares."""

    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # column -> description
    column_tests: dict[str, list[str]] = field(default_factory=dict)  # column -> test labels
    tests: list[str] = field(default_factory=list)  # model-level test labels


def test_label(test: Any) -> str:
    """``unique``; ``accepted_values(values: a, b)``; ``relationships(to: ref('x'), field: id)``."""
    if isinstance(test, str):
        return test
    if isinstance(test, dict) and len(test) == 1:
        ((name, args),) = test.items()
        if isinstance(args, dict):
            shown = []
            for key, value in args.items():
                if isinstance(value, dict) and key in ("config", "arguments"):
                    shown.extend(f"{k}: {_value(v)}" for k, v in value.items())
                else:
                    shown.append(f"{key}: {_value(value)}")
            return f"{name}({'; '.join(shown)})"
        return str(name)
    return str(test)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _tests(entry: dict) -> list[str]:
    tests = entry.get("data_tests", entry.get("tests")) or []
    return [test_label(t) for t in tests] if isinstance(tests, list) else []


def declared_docs(models_dir: Path) -> dict[str, DeclaredDocs]:
    """Every model's ``schema.yml`` entry; columns as dbt's list of mappings or riftlab's ``name: description``."""
    docs: dict[str, DeclaredDocs] = {}
    for path in sorted(models_dir.rglob("*.yml")) if models_dir.is_dir() else []:
        document = read_yaml(path) or {}
        models = document.get("models") if isinstance(document, dict) else None
        for model in models if isinstance(models, list) else []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            entry = DeclaredDocs(str(model.get("description") or "").strip(), tests=_tests(model))
            columns = model.get("columns") or {}
            if isinstance(columns, dict):
                entry.columns = {str(k): str(v or "").strip() for k, v in columns.items()}
            elif isinstance(columns, list):
                for column in columns:
                    if isinstance(column, dict) and "name" in column:
                        name = str(column["name"])
                        entry.columns[name] = str(column.get("description") or "").strip()
                        entry.column_tests[name] = _tests(column)
            docs[str(model["name"])] = entry
    return docs


def suite_tests(transforms_dir: Path, root: Path) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]]]:
    """Expectation-suite names by table (table-level) and by table and column."""
    from warehouse.checks.suites import load_suites

    tables: dict[str, list[str]] = {}
    columns: dict[str, dict[str, list[str]]] = {}
    if not (transforms_dir / "expectations").is_dir():
        return tables, columns
    for suite in load_suites(transforms_dir, root, ()):
        for expectation in suite.expectations:
            read = expectation.columns()
            if len(read) == 1:
                columns.setdefault(suite.table, {}).setdefault(read[0], []).append(expectation.name)
            else:
                tables.setdefault(suite.table, []).append(expectation.name)
    return tables, columns


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def last_runs(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Each node's latest build (status, when, rows, duration, error) from ``meta.model_runs``."""
    if not db.table_exists(con, "meta", "model_runs"):
        return {}
    rows = _dicts(
        con.execute(
            "SELECT model, status, started_at, duration_ms, rows, error, materialized FROM meta.model_runs "
            "QUALIFY row_number() OVER (PARTITION BY model ORDER BY started_at DESC) = 1"
        )
    )
    return {row["model"]: row for row in rows}


def last_checks(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Each table's results from its latest check run (``meta.check_results``)."""
    if not db.table_exists(con, "meta", "check_results"):
        return {}
    rows = _dicts(
        con.execute(
            "SELECT table_name, expectation, success, observed, blocking, checked_at FROM meta.check_results "
            "QUALIFY check_run_id = first_value(check_run_id) "
            "OVER (PARTITION BY table_name ORDER BY checked_at DESC) ORDER BY table_name, expectation"
        )
    )
    checks: dict[str, list[dict]] = {}
    for row in rows:
        checks.setdefault(row["table_name"], []).append(row)
    return checks


def _built(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> dict[str, tuple[str, str]]:
    """Each built node's (schema, table), whatever schema it publishes to."""
    from warehouse.docs.lineage import node_tables

    present = set(con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall())
    return {name: key for key, name in node_tables(manifest).items() if key in present}


def row_counts(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> dict[str, int]:
    """Rows in each built node's relation, counted now."""
    return {
        name: con.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(table)}").fetchall()[0][0]
        for name, (schema, table) in _built(con, manifest).items()
    }


def column_types(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> dict[str, dict[str, str]]:
    """Each built node's column types, in column order."""
    types: dict[str, dict[str, str]] = {}
    for name, (schema, table) in _built(con, manifest).items():
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        types[name] = dict(rows)
    return types
