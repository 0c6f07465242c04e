"""``riftlab build``: build selected nodes in DAG order, each atomically, logging every run.

A node that fails keeps its previous version; its descendants are skipped with
a message naming the failed upstream; unrelated nodes still build.  Ctrl-C and a
warehouse that cannot be written stop the whole build with one line: the node
being built rolls back, and it and every node after it keep their previous versions.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.db import utcnow
from warehouse.errors import RiftlabError
from warehouse.project import Project
from warehouse.runner import materialize
from warehouse.runner.interrupt import BuildInterrupted, InterruptGuard
from warehouse.runner.manifest import Manifest, load_manifest
from warehouse.runner.nodes import Node
from warehouse.runner.rendering import render
from warehouse.runner.rules import rules_table
from warehouse.runner.seeds import seed_select_sql


@dataclass
class NodeResult:
    name: str
    kind: str
    materialized: str
    status: str  # success, error, skipped
    rows: int | None
    seconds: float
    error: str | None = None


def _gate(con: duckdb.DuckDBPyConnection, project: Project) -> materialize.Gate:
    """The publication gate: a model whose blocking expectations fail is never swapped in."""
    from warehouse.checks.gate import blocking_failures

    return lambda table_name, tmp_relation: blocking_failures(con, project, table_name, tmp_relation)


def _register_functions(con: duckdb.DuckDBPyConnection, project: Project) -> None:
    """Python functions that models call from SQL (text cleaning, MinHash, token counts)."""
    from warehouse.sql_functions import register

    register(con, project)


def render_model(manifest: Manifest, node: Node, *, incremental: bool) -> str:
    sql, _ = render(
        node.path,
        node.template,
        variables=manifest.variables,
        rules=manifest.rules,
        resolve_ref=lambda name: manifest.nodes[name].relation,
        incremental=incremental,
        this=node.relation,
        display=node.display_path(manifest.root),
    )
    return sql


def _build_node(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    node: Node,
    gate: materialize.Gate | None,
    full_refresh: bool,
) -> tuple[int, str]:
    """Build one node; returns (rows, hash of the SQL that built it)."""
    where = node.display_path(manifest.root)
    if node.kind == "seed":
        sql = seed_select_sql(node.path)
        return materialize.publish_table(con, node, sql, where, gate), _hash(node.path.read_text(encoding="utf-8"))
    if node.kind == "rules":
        table = rules_table(node.payload)
        if table is None:
            raise RiftlabError(f"{where}: 'rules' is empty and declares no columns; nothing to publish")
        return materialize.publish_arrow(con, node, table, gate), _hash(node.path.read_text(encoding="utf-8"))
    exists = materialize.existing_type(con, node.name) is not None
    incremental = node.materialized == "incremental" and exists and not full_refresh
    sql = render_model(manifest, node, incremental=incremental)
    if node.materialized == "view":
        rows = materialize.publish_view(con, node, sql, where)
    elif incremental:
        rows = materialize.publish_incremental(con, node, sql, where, gate)
    else:
        rows = materialize.publish_table(con, node, sql, where, gate)
    return rows, _hash(sql)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _log(
    con: duckdb.DuckDBPyConnection, run_id: str, node: Node, started: datetime, result: NodeResult, sql_hash: str | None
) -> None:
    try:
        con.execute(
            "INSERT INTO meta.model_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                node.name,
                node.kind,
                node.materialized if node.kind == "model" else "table",
                started,
                int(result.seconds * 1000),
                result.rows,
                result.status,
                result.error,
                sql_hash,
            ],
        )
    except duckdb.Error as exc:
        raise materialize.duckdb_error(exc, f"the log of {node.name} (meta.model_runs)") from None


def _run_node(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    node: Node,
    gate: materialize.Gate | None,
    full_refresh: bool,
    upstream: str | None,
) -> tuple[NodeResult, str | None]:
    """Build one node, or skip it below a failed ``upstream``; its result and SQL hash."""
    if upstream is not None:
        return NodeResult(
            node.name, node.kind, node.materialized, "skipped", None, 0.0, f"skipped: upstream '{upstream}' failed"
        ), None
    clock = time.perf_counter()
    try:
        rows, sql_hash = _build_node(con, manifest, node, gate, full_refresh)
    except materialize.WarehouseWriteError:
        raise
    except RiftlabError as exc:
        return NodeResult(
            node.name, node.kind, node.materialized, "error", None, time.perf_counter() - clock, str(exc)
        ), None
    return NodeResult(node.name, node.kind, node.materialized, "success", rows, time.perf_counter() - clock), sql_hash


def _interrupted(
    con: duckdb.DuckDBPyConnection, run_id: str, node: Node | None, published: bool, left: int
) -> BuildInterrupted:
    """Log the node Ctrl-C stopped and say, in one line, what keeps its previous version."""
    if node is None:
        return BuildInterrupted("build interrupted before any node was built; every table keeps its previous version")
    if published:
        return BuildInterrupted(
            f"build interrupted after '{node.name}'; the {left} node(s) after it keep their previous versions"
        )
    now = utcnow()
    try:
        _log(
            con,
            run_id,
            node,
            now,
            NodeResult(node.name, node.kind, node.materialized, "error", None, 0.0, "interrupted"),
            None,
        )
    except RiftlabError:
        pass  # the person asked to stop; a missing log row must not replace that answer
    return BuildInterrupted(
        f"build interrupted while building '{node.name}'; "
        f"it and the {left} node(s) after it keep their previous versions"
    )


def _close(con: duckdb.DuckDBPyConnection, failing: bool) -> None:
    """Close the connection; when an error is already on its way out, a failed close must not hide it."""
    try:
        con.close()
    except duckdb.Error as exc:
        if not failing:
            raise materialize.duckdb_error(exc, "closing the warehouse") from None


def build(
    project: Project,
    selectors: tuple[str, ...] = (),
    *,
    full_refresh: bool = False,
    on_result=None,
) -> list[NodeResult]:
    """Build the selected nodes; ``on_result(index, total, result)`` is called after each."""
    manifest = load_manifest(project.transforms_dir, dict(project.config["vars"]))
    selected = manifest.select(selectors)
    con = project.connect()
    try:
        results = _build_selected(con, project, manifest, selected, full_refresh, on_result)
    except BaseException:
        _close(con, failing=True)
        raise
    _close(con, failing=False)
    return results


def _build_selected(
    con: duckdb.DuckDBPyConnection,
    project: Project,
    manifest: Manifest,
    selected: list[str],
    full_refresh: bool,
    on_result,
) -> list[NodeResult]:
    """Build ``selected`` in order on ``con``, logging each node; Ctrl-C stops after the node it interrupts."""
    _register_functions(con, project)
    gate = _gate(con, project)
    run_id = uuid.uuid4().hex[:12]
    broken: dict[str, str] = {}  # node -> the failed node it descends from
    results: list[NodeResult] = []
    node, published, left = None, False, len(selected)
    with InterruptGuard(con) as guard:
        try:
            for index, name in enumerate(selected, start=1):
                node, published, left = manifest.nodes[name], False, len(selected) - index
                started = utcnow()
                upstream = next((broken[p] for p in node.refs if p in broken), None)
                result, sql_hash = _run_node(con, manifest, node, gate, full_refresh, upstream)
                published = result.status == "success"
                if published or not guard.requested:
                    _log(con, run_id, node, started, result, sql_hash)
                if guard.requested:
                    raise KeyboardInterrupt  # Ctrl-C reached DuckDB, which failed (or finished) the node's query
                if result.status != "success":
                    broken[name] = upstream or name
                results.append(result)
                if on_result:
                    on_result(index, len(selected), result)
        except BaseException:
            if not guard.requested:
                raise
            raise _interrupted(con, run_id, node, published, left) from None
    return results
