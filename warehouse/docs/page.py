"""Assemble and write the docs page: every node with its description, columns, tests, last build,
row count and column lineage, under a drawing of the DAG.  One self-contained HTML file (inline
CSS and SVG, no script, no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse import db
from warehouse.docs import catalog, lineage
from warehouse.docs.dag import NODE_HEIGHT, NODE_WIDTH, Drawing, draw
from warehouse.project import Project
from warehouse.runner.manifest import Manifest, load_manifest


@dataclass
class ColumnDoc:
    name: str
    type: str
    description: str
    tests: list[str]
    lineage: lineage.ColumnLineage | None
    origins: list[lineage.Upstream] = field(default_factory=list)


@dataclass
class NodeDoc:
    name: str
    kind: str
    materialized: str
    path: str
    description: str
    parents: list[str]
    children: list[str]
    sources: list[str]
    columns: list[ColumnDoc]
    tests: list[str]
    last_run: dict | None
    rows: int | None
    checks: list[dict]
    lineage_error: str | None


@dataclass
class DocsPage:
    project: str
    nodes: list[NodeDoc]
    drawing: Drawing

    @property
    def column_count(self) -> int:
        return sum(len(n.columns) for n in self.nodes)

    @property
    def resolved(self) -> int:
        return sum(1 for n in self.nodes for c in n.columns if c.lineage and not c.lineage.unresolved)

    def upstream_map(self) -> dict[str, list[str]]:
        r"""``model.column`` -> the ``relation.column``\ s it reads, for the page's lineage highlighting."""
        return {
            f"{n.name}.{c.name}": [u.label for u in c.lineage.direct]
            for n in self.nodes
            for c in n.columns
            if c.lineage and c.lineage.direct
        }

    @property
    def unresolved(self) -> int:
        return sum(1 for n in self.nodes for c in n.columns if c.lineage and c.lineage.unresolved)


def _columns(
    name: str,
    types: dict[str, str],
    declared: catalog.DeclaredDocs,
    suite_columns: dict[str, list[str]],
    model: lineage.ModelLineage | None,
    lineages: dict[str, lineage.ModelLineage],
) -> list[ColumnDoc]:
    """The built relation's columns (else those the SQL selects, else those schema.yml declares)."""
    names = list(types) or (list(model.columns) if model else []) or list(declared.columns)
    names += [c for c in declared.columns if c not in names]  # documented but not (yet) built: still shown
    docs = []
    for column in names:
        column_lineage = model.columns.get(column) if model else None
        if model is not None and column_lineage is None:
            why = model.error or "sqlglot does not see this column in the SQL (a COLUMNS(...) it cannot expand?)"
            column_lineage = lineage.ColumnLineage(column, unresolved=why)
        docs.append(
            ColumnDoc(
                column,
                types.get(column, ""),
                declared.columns.get(column, ""),
                declared.column_tests.get(column, []) + suite_columns.get(column, []),
                column_lineage,
                lineage.traced_to_origin(lineages, name, column) if model and column in model.columns else [],
            )
        )
    return docs


def collect(project: Project, manifest: Manifest, con: duckdb.DuckDBPyConnection) -> DocsPage:
    schema = lineage.warehouse_schema(con)
    dialect = lineage.dialect_for(lineage.own_function_names(project))
    lineages = lineage.project_lineage(manifest, schema, dialect)
    declared = catalog.declared_docs(project.transforms_dir / "models")
    table_tests, column_tests = catalog.suite_tests(project.transforms_dir, project.root)
    runs, checks = catalog.last_runs(con), catalog.last_checks(con)
    counts, types = catalog.row_counts(con, manifest), catalog.column_types(con, manifest)
    children = manifest.children()
    nodes = []
    for name in manifest.order:
        node = manifest.nodes[name]
        entry = declared.get(name, catalog.DeclaredDocs())
        model = lineages.get(name)
        nodes.append(
            NodeDoc(
                name=name,
                kind=node.kind,
                materialized=node.materialized if node.kind == "model" else "table",
                path=node.display_path(manifest.root),
                description=node.description or entry.description,
                parents=list(node.refs),
                children=sorted(children[name]),
                sources=[f"{schema_name}.{table}" for schema_name, table in node.sources],
                columns=_columns(name, types.get(name, {}), entry, column_tests.get(name, {}), model, lineages),
                tests=entry.tests + table_tests.get(name, []),
                last_run=runs.get(name),
                rows=counts.get(name),
                checks=checks.get(name, []),
                lineage_error=model.error if model else None,
            )
        )
    statuses = {name: run["status"] for name, run in runs.items()}
    return DocsPage(project.config.get("name") or project.root.name, nodes, draw(manifest, statuses))


def build_docs(project: Project, target: Path | None = None) -> tuple[DocsPage, Path]:
    """Write the docs page (default ``<reports>/docs/index.html``) atomically; the page's facts and its path."""
    from warehouse.reports.html import render_page

    manifest = load_manifest(project.transforms_dir, dict(project.config["vars"]))
    if project.db_path.exists():
        con = project.connect(read_only=True)
    else:  # nothing built yet: lineage from the SQL, the landing tables' DDL and the seeds' headers
        con = duckdb.connect(":memory:")
        db.ensure_schemas(con)
    try:
        page = collect(project, manifest, con)
    finally:
        con.close()
    target = target or project.reports_dir / "docs" / "index.html"
    render_page(
        "docs.html.j2",
        target,
        page=page,
        node_width=NODE_WIDTH,
        node_height=NODE_HEIGHT,
        generated_at=db.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        warehouse=project.db_path,
    )
    return page, target
