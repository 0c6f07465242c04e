"""``riftlab build``: build selected nodes in DAG order, each atomically, logging every run.

A node that fails keeps its previous version; its descendants are skipped with
a message naming the failed upstream; unrelated nodes still build.  Data tests run
as dbt build runs them: a model's tests in its publication gate (an error-severity
failure keeps the previous version and skips its descendants, naming the test), tests
that read models built later once those are built.  ``target/manifest.json`` and
``target/run_results.json`` are written for every build.  Ctrl-C and a
warehouse that cannot be written stop the whole build with one line: the node
being built rolls back, and it and every node after it keep their previous versions.
"""

from __future__ import annotations

import graphlib
import hashlib
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.db import utcnow
from warehouse.errors import RiftlabError
from warehouse.project import Project
from warehouse.runner import materialize
from warehouse.runner.artifacts import RunResult, write_manifest, write_run_results
from warehouse.runner.interrupt import BuildInterrupted, InterruptGuard
from warehouse.runner.manifest import Manifest, load_project_manifest
from warehouse.runner.nodes import DEFAULT_SCHEMA, DataTest, Node
from warehouse.runner.rendering import render
from warehouse.runner.rules import rules_table
from warehouse.runner.seeds import seed_select_sql
from warehouse.runner.selectors import load_state
from warehouse.sql_literals import quote_identifier


@dataclass
class NodeResult:
    name: str
    kind: str  # model, seed, rules, test
    materialized: str
    status: str  # success, error, skipped; tests: pass, fail, warn, error, skipped
    rows: int | None  # rows published; tests: failing rows
    seconds: float
    error: str | None = None
    unique_id: str = ""
    started_at: datetime | None = None
    relation: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("error", "fail")


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
) -> tuple[int, str, str | None]:
    """Build one node; returns (rows, hash of the SQL that built it, the rendered SQL of a model)."""
    where = node.display_path(manifest.root)
    if node.kind == "seed":
        sql = seed_select_sql(node.path)
        rows = materialize.publish_table(con, node, sql, where, gate)
        return rows, _hash(node.path.read_text(encoding="utf-8")), None
    if node.kind == "rules":
        table = rules_table(node.payload)
        if table is None:
            raise RiftlabError(f"{where}: 'rules' is empty and declares no columns; nothing to publish")
        return materialize.publish_arrow(con, node, table, gate), _hash(node.path.read_text(encoding="utf-8")), None
    exists = materialize.existing_type(con, node.name, node.schema) is not None
    incremental = node.materialized == "incremental" and exists and not full_refresh
    sql = render_model(manifest, node, incremental=incremental)
    if node.materialized == "view":
        rows = materialize.publish_view(con, node, sql, where, gate)
    elif incremental:
        rows = materialize.publish_incremental(con, node, sql, where, _merged(gate, node) if gate else None)
    else:
        rows = materialize.publish_table(con, node, sql, where, gate)
    return rows, _hash(sql), sql


def _merged(gate: materialize.Gate, node: Node) -> materialize.Gate:
    """An incremental model's gate sees the table as the merge will leave it (old rows not replaced by a
    new row's ``unique_key``, plus the new rows), so ``unique`` catches a new row repeating an old one."""
    keys = [node.unique_key] if isinstance(node.unique_key, str) else list(node.unique_key or [])

    def merged_gate(table_name: str, staged: str) -> list[str]:
        kept = f"SELECT * FROM {node.relation} AS target"
        if keys:
            match = " AND ".join(f"target.{quote_identifier(k)} = staged.{quote_identifier(k)}" for k in keys)
            kept += f" WHERE NOT EXISTS (SELECT 1 FROM {staged} AS staged WHERE {match})"
        return gate(table_name, f"({kept} UNION ALL BY NAME SELECT * FROM {staged})")

    return merged_gate


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


def _node_result(node: Node, status: str, rows: int | None, seconds: float, error: str | None = None) -> NodeResult:
    return NodeResult(
        node.name, node.kind, node.materialized, status, rows, seconds, error, node.unique_id, relation=node.relation
    )


def _run_node(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    node: Node,
    gate: materialize.Gate | None,
    full_refresh: bool,
    upstream: str | None,
) -> tuple[NodeResult, str | None, str | None]:
    """Build one node, or skip it below a failure (``upstream`` says which); its result, SQL hash and SQL."""
    if upstream is not None:
        return _node_result(node, "skipped", None, 0.0, f"skipped: {upstream}"), None, None
    clock = time.perf_counter()
    try:
        rows, sql_hash, sql = _build_node(con, manifest, node, gate, full_refresh)
    except materialize.WarehouseWriteError:
        raise
    except RiftlabError as exc:
        return _node_result(node, "error", None, time.perf_counter() - clock, str(exc)), None, None
    return _node_result(node, "success", rows, time.perf_counter() - clock), sql_hash, sql


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
        _log(con, run_id, node, now, _node_result(node, "error", None, 0.0, "interrupted"), None)
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
    selectors: tuple[str, ...] | list[str] = (),
    *,
    exclude: tuple[str, ...] | list[str] = (),
    state: str | Path | None = None,
    full_refresh: bool = False,
    tests: bool = True,
    on_result=None,
    command: str = "build",
) -> list[NodeResult]:
    """Build the selected nodes (and run their data tests); ``on_result(index, total, result)`` after each.

    ``exclude`` and ``state`` (a folder with a saved manifest.json, for ``state:modified``) as dbt takes
    them; ``tests=False`` builds without running data tests (``riftlab seed``).
    """
    manifest = load_project_manifest(project)
    previous = load_state(state) if state is not None else None
    selected = manifest.select(selectors, exclude, previous)
    test_names = manifest.select_tests(selectors, exclude, previous) if tests else []
    plan = build_plan(manifest, selected, test_names)
    run_id = uuid.uuid4().hex[:12]
    write_manifest(project, manifest, run_id)
    clock = time.perf_counter()
    con = project.connect()
    results: list[NodeResult] = []
    compiled: dict[str, str] = {}
    arguments = {"select": list(selectors), "exclude": list(exclude), "state": str(state) if state else None}
    try:
        _build_selected(con, project, manifest, plan, full_refresh, on_result, run_id, results, compiled)
    except BaseException:
        _close(con, failing=True)
        _artefacts(project, manifest, run_id, command, results, compiled, time.perf_counter() - clock, arguments)
        raise
    _close(con, failing=False)
    _artefacts(project, manifest, run_id, command, results, compiled, time.perf_counter() - clock, arguments)
    return results


def run_result(result: NodeResult) -> RunResult:
    """A build's result as run_results.json records it."""
    return RunResult(
        result.unique_id,
        result.status,
        result.started_at,
        result.started_at + timedelta(seconds=result.seconds) if result.started_at else None,
        result.seconds,
        result.error,
        rows_affected=result.rows if result.kind != "test" else None,
        failures=result.rows if result.kind == "test" else None,
        relation_name=result.relation,
    )


def _artefacts(
    project: Project,
    manifest: Manifest,
    run_id: str,
    command: str,
    results: list[NodeResult],
    compiled: dict[str, str],
    elapsed: float,
    arguments: dict,
) -> None:
    """target/manifest.json (with the SQL each model was built with) and target/run_results.json."""
    write_manifest(project, manifest, run_id, compiled)
    write_run_results(project, run_id, command, [run_result(r) for r in results], elapsed, arguments)


@dataclass
class Step:
    """One step of a build: a node (with the tests its gate runs), or a test that reads several nodes."""

    name: str
    kind: str  # node, test
    gate_tests: list[DataTest]


def build_plan(manifest: Manifest, selected: list[str], test_names: list[str]) -> list[Step]:
    """The build's steps: selected nodes in DAG order, each with the tests its publication gate runs
    (those declared on it whose other parents are built before it), and the other tests right after the
    last node they read.  A relationships test's target is built before the tested model where the DAG
    allows (dbt build's order)."""
    chosen = set(selected)
    tests = [manifest.tests[name] for name in test_names]
    order = _ordered(manifest, selected, tests)
    position = {name: index for index, name in enumerate(order)}
    steps = {name: Step(name, "node", []) for name in order}
    loose: list[tuple[int, DataTest]] = []
    for test in tests:
        others = [n for n in test.depends_on if n != test.attached_to and n in chosen]
        attached = test.attached_to
        if attached in chosen and all(position[n] < position[attached] for n in others):
            steps[attached].gate_tests.append(test)
        else:
            loose.append((max((position[n] for n in test.depends_on if n in chosen), default=-1), test))
    plan: list[Step] = [Step(t.name, "test", []) for index, t in loose if index < 0]
    for index, name in enumerate(order):
        plan.append(steps[name])
        plan.extend(Step(t.name, "test", []) for i, t in loose if i == index)
    return plan


def _ordered(manifest: Manifest, selected: list[str], tests: list[DataTest]) -> list[str]:
    """``selected`` in DAG order, with each test's other parents first where that makes no cycle."""
    chosen = set(selected)
    graph = {name: {r for r in manifest.nodes[name].refs if r in chosen} for name in selected}
    for test in tests:
        model = test.attached_to
        if model not in chosen:
            continue
        below = manifest.descendants(model)
        graph[model] |= {n for n in test.depends_on if n in chosen and n != model and n not in below}
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError:  # two tests pointing at each other's models: the DAG's order
        return list(selected)
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


class _Tests:
    """The build's data tests: evaluated in gates and as steps, stored in meta.check_results."""

    def __init__(self, con: duckdb.DuckDBPyConnection, project: Project, manifest: Manifest):
        from warehouse.checks import engine
        from warehouse.checks.checker import new_check_run_id

        self.con, self.project, self.manifest = con, project, manifest
        relations = {n: node.relation for n, node in manifest.nodes.items() if node.schema != DEFAULT_SCHEMA}
        self.context = engine.Context.of(project, manifest.rules, relations)
        self.check_run_id = new_check_run_id()
        self.gated: dict[str, list] = {}  # node -> TestOutcomes of its gate in this build
        self._gate_tests: dict[str, list[DataTest]] = {}

    def gate(self) -> materialize.Gate:
        """Blocking expectations of the node's suite, then the data tests declared on it (see :func:`build_plan`)."""
        from warehouse.checks.gate import blocking_failures

        def gate(table_name: str, candidate: str) -> list[str]:
            failures = blocking_failures(self.con, self.project, table_name, candidate)
            runnable = [t for t in self._gate_tests.get(table_name, []) if not self.unbuilt(t, table_name)]
            self.gated[table_name] = outcomes = self.evaluate(runnable, candidate)
            return failures + [o.message() for o in outcomes if o.blocks]

        return gate

    def unbuilt(self, test: DataTest, building: str | None = None) -> str | None:
        """Why ``test`` cannot run: a table it reads is not in the warehouse (nor being built); None: it can."""
        for name in test.depends_on:
            node = self.manifest.nodes[name]
            if name != building and not _published(self.con, node):
                return f"{node.relation.replace(chr(34), '')} is not built"
        return None

    def expect(self, step: Step) -> None:
        """The gate of ``step``'s node runs ``step.gate_tests``."""
        self._gate_tests[step.name] = step.gate_tests
        self.gated.pop(step.name, None)

    def evaluate(self, tests: list[DataTest], candidate: str | None = None) -> list:
        """Evaluate ``tests`` (against ``candidate``, the relation being published, in a gate); after a test
        that cannot run (DuckDB aborted the gate's transaction) the rest are not evaluated."""
        from warehouse.checks.schema_tests import evaluate_test

        outcomes = []
        for test in tests:
            relations = dict(self.context.relations)
            if candidate is not None and test.attached_to:
                relations[test.attached_to] = candidate
            attached = self.manifest.nodes.get(test.attached_to) if test.attached_to else None
            relation = candidate or (attached.relation if attached else "")
            context = replace(self.context, relations=relations)
            outcome = evaluate_test(self.con, test, relation, context, self.manifest.root)
            outcomes.append(outcome)
            if candidate is not None and outcome.status == "error":
                break
        return outcomes

    def store(self, outcomes: list) -> None:
        from warehouse.checks.results import store_outcomes

        store_outcomes(self.con, self.check_run_id, [o.outcome for o in outcomes])


def _test_result(outcome, seconds: float, started: datetime) -> NodeResult:
    test = outcome.test
    return NodeResult(
        test.name,
        "test",
        "test",
        outcome.status,
        outcome.outcome.failing_count,
        seconds,
        None if outcome.status == "pass" else outcome.message(),
        test.unique_id,
        started,
    )


def _skipped_test(test: DataTest, why: str) -> NodeResult:
    return NodeResult(test.name, "test", "test", "skipped", None, 0.0, f"skipped: {why}", test.unique_id)


def _build_selected(
    con: duckdb.DuckDBPyConnection,
    project: Project,
    manifest: Manifest,
    plan: list[Step],
    full_refresh: bool,
    on_result,
    run_id: str,
    results: list[NodeResult],
    compiled: dict[str, str],
) -> None:
    """Run ``plan`` on ``con``, logging each node; Ctrl-C stops after the node it interrupts."""
    _register_functions(con, project)
    for schema in sorted({manifest.nodes[s.name].schema for s in plan if s.kind == "node"} - {DEFAULT_SCHEMA}):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
    data_tests = _Tests(con, project, manifest)
    gate = data_tests.gate()
    broken: dict[str, str] = {}  # node not published -> why its descendants (and its tests) are skipped
    tested: dict[str, str] = {}  # node whose two-model test failed -> why the nodes reading it later are skipped
    total = sum(1 + len(step.gate_tests) for step in plan)
    node, published, left = None, False, len(plan)

    def report(result: NodeResult) -> None:
        results.append(result)
        if on_result:
            on_result(len(results), total, result)

    with InterruptGuard(con) as guard:
        try:
            for index, step in enumerate(plan, start=1):
                left = len(plan) - index
                if step.kind == "test":
                    node, published = None, True
                    _run_test_step(data_tests, manifest.tests[step.name], broken, tested, report)
                    continue
                node, published = manifest.nodes[step.name], False
                started = utcnow()
                upstream = next((broken.get(p) or tested[p] for p in node.refs if p in broken or p in tested), None)
                data_tests.expect(step)
                result, sql_hash, sql = _run_node(con, manifest, node, gate, full_refresh, upstream)
                result.started_at = started
                published = result.status == "success"
                if published or not guard.requested:
                    _log(con, run_id, node, started, result, sql_hash)
                if guard.requested:
                    raise KeyboardInterrupt  # Ctrl-C reached DuckDB, which failed (or finished) the node's query
                if sql is not None:
                    compiled[node.unique_id] = sql
                _after_node(data_tests, step, node, result, upstream, broken, report)
        except BaseException:
            if not guard.requested:
                raise
            raise _interrupted(con, run_id, node, published, left) from None


def _after_node(data_tests: _Tests, step: Step, node: Node, result: NodeResult, upstream, broken, report) -> None:
    """Report the node and its gate's tests; a failed node (or blocking test) marks its descendants."""
    outcomes = data_tests.gated.pop(node.name, [])
    blocking = [o for o in outcomes if o.blocks]
    if result.status != "success":
        if upstream:
            broken[node.name] = upstream
        elif blocking:
            broken[node.name] = f"test '{blocking[0].test.name}' on '{node.name}' failed"
        else:
            broken[node.name] = f"upstream '{node.name}' failed"
    report(result)
    data_tests.store(outcomes)
    for outcome in outcomes:
        report(_test_result(outcome, 0.0, result.started_at))
    evaluated = {o.test.name for o in outcomes}
    for test in step.gate_tests:
        if test.name not in evaluated:
            why = broken.get(node.name) or data_tests.unbuilt(test) or "an earlier test of the model could not run"
            report(_skipped_test(test, why.removeprefix("skipped: ")))


def _run_test_step(data_tests: _Tests, test: DataTest, broken: dict[str, str], tested: dict[str, str], report) -> None:
    """A test that reads several nodes, once they are built; a blocking failure skips what reads them."""
    upstream = next((broken[n] for n in test.depends_on if n in broken), None) or data_tests.unbuilt(test)
    if upstream is not None:
        report(_skipped_test(test, upstream))
        return
    started, clock = utcnow(), time.perf_counter()
    (outcome,) = data_tests.evaluate([test])
    data_tests.store([outcome])
    report(_test_result(outcome, time.perf_counter() - clock, started))
    if outcome.blocks:
        reason = f"test '{test.name}' on '{', '.join(test.depends_on)}' failed"
        for name in test.depends_on:
            tested.setdefault(name, reason)  # other tests of these nodes still run, as in dbt


def run_tests(
    project: Project,
    selectors: tuple[str, ...] | list[str] = (),
    *,
    exclude: tuple[str, ...] | list[str] = (),
    state: str | Path | None = None,
    on_result=None,
) -> tuple[list[NodeResult], str | None]:
    """``riftlab test``: the selected data tests against the published tables, stored in meta.check_results,
    written to target/run_results.json and the checks page; the results and that check run's id."""
    manifest = load_project_manifest(project)
    previous = load_state(state) if state is not None else None
    names = manifest.select_tests(selectors, exclude, previous)
    run_id = uuid.uuid4().hex[:12]
    write_manifest(project, manifest, run_id)
    if not names:
        return [], None
    clock = time.perf_counter()
    con = project.connect()
    results: list[NodeResult] = []
    try:
        _register_functions(con, project)
        data_tests = _Tests(con, project, manifest)
        outcomes = []
        for name in names:
            test = manifest.tests[name]
            missing = [n for n in test.depends_on if not _published(con, manifest.nodes[n])]
            started, timer = utcnow(), time.perf_counter()
            if missing:
                node = manifest.nodes[missing[0]]
                why = f"{node.relation} is not built: run `riftlab build --select {node.name}`"
                result = NodeResult(test.name, "test", "test", "error", None, 0.0, why, test.unique_id, started)
            else:
                (outcome,) = data_tests.evaluate([test])
                outcomes.append(outcome)
                result = _test_result(outcome, time.perf_counter() - timer, started)
            results.append(result)
            if on_result:
                on_result(len(results), len(names), result)
        data_tests.store(outcomes)
        _summary_page(project, con, data_tests.check_run_id, [o.outcome for o in outcomes])
    finally:
        con.close()
    arguments = {"select": list(selectors), "exclude": list(exclude), "state": str(state) if state else None}
    write_run_results(project, run_id, "test", [run_result(r) for r in results], time.perf_counter() - clock, arguments)
    return results, data_tests.check_run_id


def _published(con: duckdb.DuckDBPyConnection, node: Node) -> bool:
    return materialize.existing_type(con, node.name, node.schema) is not None


def _summary_page(project: Project, con: duckdb.DuckDBPyConnection, check_run_id: str, outcomes: list) -> None:
    """The checks page (``<reports>/checks.html``) with this run's test outcomes and their failing rows."""
    from warehouse.checks.checker import CheckRun, write_summary_page

    if outcomes:
        write_summary_page(project, CheckRun(check_run_id, outcomes=outcomes), con)
