"""Column-level lineage of the models, computed with sqlglot from their rendered SQL.

Each model's SQL (as ``riftlab build`` renders it) is parsed as DuckDB SQL and qualified
against the warehouse's columns (``information_schema``), so ``*`` expands and every column
reference names its table; ``sqlglot.lineage`` then walks each output column down to the
upstream columns it reads.  What sqlglot cannot parse or resolve (DuckDB-only syntax, a
function sqlglot reads differently) is reported per column, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

from warehouse.runner.build import render_model
from warehouse.runner.manifest import Manifest

DIALECT = "duckdb"

# {schema: {table: {column: type}}}, as sqlglot's MappingSchema takes it
Schema = dict[str, dict[str, dict[str, str]]]


@dataclass(frozen=True)
class Upstream:
    """A column of an upstream relation: a node of the DAG (``node``) or a source table (``schema.table``)."""

    relation: str
    column: str
    is_node: bool = True

    @property
    def label(self) -> str:
        return f"{self.relation}.{self.column}"


@dataclass
class ColumnLineage:
    column: str
    direct: list[Upstream] = field(default_factory=list)  # the columns the model's SQL reads for it
    unresolved: str | None = None  # why the lineage could not be computed
    constant: bool = False  # resolved, but reads no column (a literal, a VALUES list)


@dataclass
class ModelLineage:
    name: str
    columns: dict[str, ColumnLineage] = field(default_factory=dict)
    error: str | None = None  # the whole model could not be parsed or qualified


def warehouse_schema(con: duckdb.DuckDBPyConnection) -> Schema:
    """Every table and view of the warehouse with its columns (types are not needed for lineage)."""
    schema: Schema = {}
    rows = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    for schema_name, table, column in rows:
        schema.setdefault(schema_name, {}).setdefault(table, {})[column] = "UNKNOWN"
    return schema


def _short(exc: Exception) -> str:
    """One line: sqlglot's parse errors carry the SQL around the error, which is left out."""
    errors = getattr(exc, "errors", None)
    if errors and isinstance(errors[0], dict) and errors[0].get("description"):
        first = errors[0]
        return f"{first['description']} (rendered SQL line {first.get('line')}, column {first.get('col')})"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def _upstream(leaf, manifest: Manifest) -> Upstream | None:
    """The relation column a lineage leaf stands for; None for a constant (a literal, VALUES)."""
    source = leaf.source
    if not isinstance(source, exp.Table):
        return None
    column = leaf.name.split(".")[-1].strip('"')
    schema, table = source.db or "main", source.name
    if schema == "main" and table in manifest.nodes:
        return Upstream(table, column, True)
    return Upstream(f"{schema}.{table}", column, False)


def _column_lineage(column: str, qualified: exp.Expression, scope, schema: Schema, manifest: Manifest):
    result = ColumnLineage(column)
    try:
        root = lineage(column, qualified, schema=schema, dialect=DIALECT, scope=scope)
    except Exception as exc:  # sqlglot raises many kinds; each is this column's, not the page's
        result.unresolved = _short(exc)
        return result
    found: dict[Upstream, None] = {}
    constant_leaves = 0
    for node in root.walk():
        if node.downstream:
            continue
        upstream = _upstream(node, manifest)
        if upstream is None:
            constant_leaves += 1
        else:
            found[upstream] = None
    result.direct = sorted(found, key=lambda u: (u.relation, u.column))
    result.constant = not found and constant_leaves > 0
    if not found and not constant_leaves:
        result.unresolved = "sqlglot found no source for this column"
    return result


def model_lineage(manifest: Manifest, name: str, schema: Schema) -> ModelLineage:
    """The lineage of every output column of model ``name``; adds its columns to ``schema`` when missing."""
    node = manifest.nodes[name]
    result = ModelLineage(name)
    try:
        sql = render_model(manifest, node, incremental=False)
        qualified = qualify(
            sqlglot.parse_one(sql, read=DIALECT),
            schema=schema,
            dialect=DIALECT,
            validate_qualify_columns=False,
        )
        scope = build_scope(qualified)
        columns = list(qualified.named_selects)
    except Exception as exc:
        result.error = f"sqlglot cannot read this model's SQL ({_short(exc)})"
        built = schema.get("main", {}).get(name, {})
        result.columns = {c: ColumnLineage(c, unresolved=result.error) for c in built}
        return result
    if "*" in columns or scope is None:
        result.error = "a * the warehouse cannot expand (is an upstream built?)"
    schema.setdefault("main", {}).setdefault(name, {c: "UNKNOWN" for c in columns if c != "*"})
    for column in columns:
        if column == "*":
            continue
        if scope is None:
            result.columns[column] = ColumnLineage(column, unresolved=result.error)
        else:
            result.columns[column] = _column_lineage(column, qualified, scope, schema, manifest)
    return result


def add_unbuilt_seeds(manifest: Manifest, schema: Schema) -> None:
    """Seeds not in the warehouse yet: their columns from the CSV header."""
    import csv

    tables = schema.setdefault("main", {})
    for node in manifest.nodes.values():
        if node.kind == "seed" and node.name not in tables:
            with node.path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle), [])
            tables[node.name] = {column: "UNKNOWN" for column in header}


def project_lineage(manifest: Manifest, schema: Schema) -> dict[str, ModelLineage]:
    """Lineage of every model, in DAG order (an unbuilt model's columns feed its children's lineage)."""
    add_unbuilt_seeds(manifest, schema)
    return {
        name: model_lineage(manifest, name, schema) for name in manifest.order if manifest.nodes[name].kind == "model"
    }


def traced_to_origin(lineages: dict[str, ModelLineage], model: str, column: str) -> list[Upstream]:
    """The columns at the top of the chain: follow each upstream column through the models above it
    down to seeds, rule tables, sources (or a model column whose lineage is unresolved)."""
    origins: dict[Upstream, None] = {}
    seen: set[tuple[str, str]] = set()
    stack = list(lineages[model].columns[column].direct) if column in lineages[model].columns else []
    while stack:
        upstream = stack.pop()
        key = (upstream.relation, upstream.column)
        if key in seen:
            continue
        seen.add(key)
        parent = lineages.get(upstream.relation) if upstream.is_node else None
        above = parent.columns.get(upstream.column) if parent else None
        if above is not None and above.direct:
            stack.extend(above.direct)
        else:
            origins[upstream] = None
    return sorted(origins, key=lambda u: (u.relation, u.column))
