"""``riftlab compile`` and ``riftlab show``: the SQL the runner would run, rendered, and a preview of its rows.

Compiled SQL goes to ``target/compiled/<project>/models/<folders>/<model>.sql`` (and ``.../tests/<test>.sql``
for a data test's query of failing rows), as dbt writes it; ``target/manifest.json`` gets it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.errors import ModelError, QueryError
from warehouse.project import Project
from warehouse.runner.artifacts import target_dir, write_manifest, write_text
from warehouse.runner.build import render_model
from warehouse.runner.manifest import Manifest, load_project_manifest
from warehouse.runner.nodes import DataTest, Node
from warehouse.runner.rendering import render
from warehouse.runner.selectors import load_state


@dataclass
class Compiled:
    unique_id: str
    name: str
    sql: str
    path: Path  # where the compiled SQL was written


def _existing(project: Project) -> set[tuple[str, str]]:
    """(schema, table) of every relation in the warehouse (none when there is no warehouse yet)."""
    if not project.db_path.exists():
        return set()
    con = project.connect(read_only=True)
    try:
        return {
            tuple(row)
            for row in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        }
    finally:
        con.close()


def model_sql(manifest: Manifest, node: Node, incremental: bool = False) -> str:
    """A model's SQL as the build runs it (``is_incremental()`` as given)."""
    return render_model(manifest, node, incremental=incremental)


def test_sql(project: Project, manifest: Manifest, test: DataTest) -> str:
    """A data test's query of failing rows, as the check engine runs it against the published table."""
    from warehouse.checks import engine
    from warehouse.checks.schema_tests import relation_under_test, suite_of

    suite = suite_of(test, manifest.root)
    expectation = suite.expectations[0]
    attached = manifest.nodes.get(test.attached_to) if test.attached_to else None
    relation = relation_under_test(test, attached.relation) if attached else ""
    relations = {name: node.relation for name, node in manifest.nodes.items()}
    context = engine.Context.of(project, manifest.rules, relations)
    if expectation.is_sql:
        return engine.render_sql(suite, expectation, relation, context)
    check = engine.translate(expectation, relation)
    return getattr(check, "failing", None) or check.observed


def _relative_model_path(manifest: Manifest, node: Node) -> Path:
    base = manifest.transforms_dir
    try:
        return node.path.relative_to(base)
    except ValueError:
        return Path(node.path.name)


def compile_project(
    project: Project, selectors=(), exclude=(), state: str | Path | None = None
) -> tuple[Manifest, list[Compiled]]:
    """Render the selected models and tests into target/compiled/ and target/manifest.json."""
    manifest = load_project_manifest(project)
    previous = load_state(state) if state is not None else None
    chosen = manifest.selected_ids(selectors, exclude, previous) if (selectors or exclude) else None
    existing = _existing(project)
    folder = target_dir(project) / "compiled" / manifest.package
    compiled: list[Compiled] = []
    for name in manifest.order:
        node = manifest.nodes[name]
        if node.kind != "model" or (chosen is not None and node.unique_id not in chosen):
            continue
        incremental = node.materialized == "incremental" and (node.schema, node.name) in existing
        sql = model_sql(manifest, node, incremental)
        path = write_text(folder / _relative_model_path(manifest, node), sql)
        compiled.append(Compiled(node.unique_id, name, sql, path))
    for name in manifest.test_order():
        test = manifest.tests[name]
        if chosen is not None and test.unique_id not in chosen:
            continue
        sql = test_sql(project, manifest, test)
        path = write_text(folder / "tests" / f"{name}.sql", sql + "\n")
        compiled.append(Compiled(test.unique_id, name, sql, path))
    write_manifest(project, manifest, uuid.uuid4().hex[:12], {c.unique_id: c.sql for c in compiled})
    return manifest, compiled


@dataclass
class Preview:
    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


def show(project: Project, selectors=(), inline: str | None = None, limit: int = 5) -> Preview:
    """The first ``limit`` rows of one selected model's query (run now, read-only) or of ``inline`` SQL."""
    manifest = load_project_manifest(project)
    if inline is not None:
        sql, _ = render(
            Path("inline"),
            inline,
            variables=manifest.variables,
            rules=manifest.rules,
            resolve_ref=lambda name: _ref(manifest, name),
            display="--inline",
        )
        title, sandbox = "inline query", True
    else:
        names = [n for n in manifest.select(selectors) if manifest.nodes[n].kind == "model"] if selectors else []
        if len(names) != 1:
            found = f"it selects {len(names)} models ({', '.join(names[:5])})" if names else "it selects no model"
            raise ModelError(f"show needs --select naming exactly one model, or --inline SQL; {found}")
        node = manifest.nodes[names[0]]
        sql, title, sandbox = model_sql(manifest, node), f"model {node.name}", False
    con = project.connect(read_only=True, sandbox=sandbox)
    try:
        from warehouse.sql_functions import register

        register(con, project)
        try:
            cursor = con.execute(f"SELECT * FROM (\n{sql}\n) AS preview LIMIT {int(limit)}")
        except duckdb.Error as exc:
            raise QueryError(f"{title}: {str(exc).strip().splitlines()[0]}") from None
        columns = [d[0] for d in cursor.description]
        return Preview(title, columns, cursor.fetchall())
    finally:
        con.close()


def _ref(manifest: Manifest, name: str) -> str:
    from warehouse.errors import did_you_mean

    if name not in manifest.nodes:
        raise ModelError(
            f"--inline: ref('{name}') names no model, seed or rule table{did_you_mean(name, manifest.nodes)}"
        )
    return manifest.nodes[name].relation
