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
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from warehouse.runner.build import render_model
from warehouse.runner.manifest import Manifest

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
    constant: bool = False  # resolved, but reads no column (a literal, a VALUES list, a count(*) of rows)


@dataclass
class ModelLineage:
    name: str
    columns: dict[str, ColumnLineage] = field(default_factory=dict)
    error: str | None = None  # the whole model could not be parsed or qualified


def node_tables(manifest: Manifest) -> dict[tuple[str, str], str]:
    """(schema, table) of each node's relation -> the node (a node may publish outside ``main``)."""
    tables = {}
    for name, node in manifest.nodes.items():
        table = exp.to_table(node.relation, dialect=DuckDB)
        tables[(table.db or "main", table.name)] = name
    return tables


def own_function_names(project) -> set[str]:
    """The SQL functions and macros riftlab registers for its models (``warehouse.sql_functions``)."""
    from warehouse.sql_functions import register

    con = duckdb.connect()
    try:
        listed = "SELECT DISTINCT function_name FROM duckdb_functions()"
        builtin = {name for (name,) in con.execute(listed).fetchall()}
        register(con, project)
        return {name for (name,) in con.execute(listed).fetchall()} - builtin
    finally:
        con.close()


def dialect_for(function_names: set[str]) -> type[DuckDB]:
    """DuckDB's dialect, reading riftlab's own functions as plain calls: sqlglot knows some of their names
    as something else (``minhash`` is its aggregate of that name) and cannot parse them otherwise."""
    names = {name.upper() for name in function_names}

    class RiftlabDuckDB(DuckDB):
        class Parser(DuckDB.Parser):
            FUNCTIONS = {k: v for k, v in DuckDB.Parser.FUNCTIONS.items() if k not in names}

    return RiftlabDuckDB


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


# a leaf of these reads columns sqlglot cannot name (DuckDB's COLUMNS(...), #1, a star it could not expand)
_UNNAMED_READS = (exp.Column, exp.Columns, exp.PositionalColumn, exp.Star)


def _upstream(leaf, tables: dict[tuple[str, str], str]) -> Upstream | str:
    """The relation column a lineage leaf stands for; "constant" for a literal or a VALUES list, "unnamed"
    for a leaf that reads columns sqlglot cannot name."""
    source = leaf.source
    if isinstance(source, exp.Table):
        column = leaf.name.split(".")[-1].strip('"')
        schema, table = source.db or "main", source.name
        if (schema, table) in tables:
            return Upstream(tables[(schema, table)], column, True)
        return Upstream(f"{schema}.{table}", column, False)
    unnamed = [e for e in leaf.expression.find_all(*_UNNAMED_READS) if _names_no_column(e)]
    if isinstance(source, exp.Values) or not unnamed:
        return "constant"
    return "unnamed"


def _names_no_column(node: exp.Expression) -> bool:
    """Whether ``node`` reads columns sqlglot cannot name; ``count(*)`` counts rows and reads none."""
    return not (isinstance(node, exp.Star) and isinstance(node.parent, exp.Count))


def _resolved(column: str, root, tables: dict[tuple[str, str], str]) -> ColumnLineage:
    """A column's lineage from sqlglot's lineage tree: its leaves are the upstream columns."""
    result = ColumnLineage(column)
    leaves = [_upstream(node, tables) for node in root.walk() if not node.downstream]
    found = {u: None for u in leaves if isinstance(u, Upstream)}
    result.direct = sorted(found, key=lambda u: (u.relation, u.column))
    if "unnamed" in leaves:
        result.unresolved = "it reads columns sqlglot cannot name (COLUMNS(...), a positional #n, an unexpanded *)"
    elif not found:
        result.constant = "constant" in leaves
        if not result.constant:
            result.unresolved = "sqlglot found no source for this column"
    return result


def _lineages(columns: list[str], qualified: exp.Expression, scope, schema: MappingSchema, manifest, dialect):
    """Every column's lineage in one walk (sqlglot shares the work); a column that fails alone is retried alone,
    so one column's error stays that column's."""
    try:
        roots = lineage(None, qualified, schema=schema, dialect=dialect, scope=scope, copy=False, trim_selects=False)
    except Exception:  # sqlglot raises many kinds
        roots = {}
    results, tables = {}, node_tables(manifest)
    for column in columns:
        try:
            root = roots.get(column) or lineage(column, qualified, schema=schema, dialect=dialect, scope=scope)
        except Exception as exc:
            results[column] = ColumnLineage(column, unresolved=_short(exc))
            continue
        results[column] = _resolved(column, root, tables)
    return results


def model_lineage(manifest: Manifest, name: str, schema: MappingSchema, dialect=DuckDB) -> ModelLineage:
    """The lineage of every output column of model ``name``; adds its columns to ``schema`` when missing."""
    node = manifest.nodes[name]
    result = ModelLineage(name)
    table = exp.to_table(node.relation, dialect=DuckDB)
    try:
        sql = render_model(manifest, node, incremental=False)
        qualified = qualify(
            sqlglot.parse_one(sql, read=dialect),
            schema=schema,
            dialect=dialect,
            validate_qualify_columns=False,
        )
        scope = build_scope(qualified)
        columns = list(qualified.named_selects)
    except Exception as exc:
        result.error = f"sqlglot cannot read this model's SQL ({_short(exc)})"
        built = schema.column_names(table) if schema.find(table) is not None else []
        result.columns = {c: ColumnLineage(c, unresolved=result.error) for c in built}
        return result
    columns = [c for c in columns if c != "*"]
    if scope is None or len(columns) < len(qualified.named_selects):
        result.error = "a * the warehouse cannot expand (is an upstream built?)"
    if schema.find(table) is None and columns:  # not built: its SQL's columns feed its children's lineage
        schema.add_table(table, {c: "UNKNOWN" for c in columns}, dialect=dialect)
    if scope is None:
        result.columns = {c: ColumnLineage(c, unresolved=result.error) for c in columns}
    else:
        result.columns = _lineages(columns, qualified, scope, schema, manifest, dialect)
    return result


def add_unbuilt_inputs(manifest: Manifest, schema: Schema) -> None:
    """Seeds and rule tables not in the warehouse yet: columns from the CSV header and the rule file."""
    import csv

    from warehouse.runner.rules import rules_table

    for (schema_name, table_name), name in node_tables(manifest).items():
        node, tables = manifest.nodes[name], schema.setdefault(schema_name, {})
        if table_name in tables:
            continue
        if node.kind == "seed":
            with node.path.open(encoding="utf-8", newline="") as handle:
                tables[table_name] = {column: "UNKNOWN" for column in next(csv.reader(handle), [])}
        elif node.kind == "rules" and (table := rules_table(node.payload)) is not None:
            tables[table_name] = {column: "UNKNOWN" for column in table.column_names}


def project_lineage(manifest: Manifest, schema: Schema, dialect=DuckDB) -> dict[str, ModelLineage]:
    """Lineage of every model, in DAG order (an unbuilt model's columns feed its children's lineage)."""
    add_unbuilt_inputs(manifest, schema)
    mapping = MappingSchema(schema, dialect=dialect)
    return {
        name: model_lineage(manifest, name, mapping, dialect)
        for name in manifest.order
        if manifest.nodes[name].kind == "model"
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
