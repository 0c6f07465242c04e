"""dbt's artefacts in ``target/`` (``paths.target`` in riftlab.yaml, beside riftlab.yaml by default).

* ``manifest.json``: every node, test and source, keyed by unique id (``model.riftlab.champions``),
  with ``depends_on``, ``config``, ``columns``, ``description``, ``raw_code``/``compiled_code`` and a
  checksum (what ``--state DIR`` with ``state:modified`` compares), plus ``parent_map``/``child_map``;
* ``run_results.json``: one result per node and test of the last build (or test run): ``status``,
  ``timing``, ``execution_time``, ``adapter_response.rows_affected``, ``failures``, ``message``,
  the same facts as ``meta.model_runs`` and ``meta.check_results``;
* ``compiled/<project>/...``: the rendered SQL of each model and test (``riftlab compile``).

Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.runner.nodes import DataTest, Node

if TYPE_CHECKING:
    from warehouse.project import Project
    from warehouse.runner.manifest import Manifest

MANIFEST_SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"
RUN_RESULTS_SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"


def target_dir(project: Project) -> Path:
    """Where artefacts go: ``paths.target`` (default ``target/`` in the project folder)."""
    return project.path("target")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, ensure_ascii=False, default=str)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
    return path


def checksum_of(item: Node | DataTest) -> str:
    """sha256 of what defines the item: its file (models, seeds, rules, singular tests) or its declaration."""
    if isinstance(item, DataTest) and item.test_type == "generic":
        declaration = {"test": item.test_name, "column": item.column, "kwargs": item.kwargs, "on": item.attached_to}
        text = json.dumps(declaration, sort_keys=True, default=str)
    elif isinstance(item, Node) and item.kind == "model":
        text = item.template
    else:
        text = item.path.read_text(encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_of(item: Node | DataTest) -> dict[str, Any]:
    """The resolved configuration as manifest.json shows it."""
    if isinstance(item, DataTest):
        return {
            "enabled": True,
            "severity": item.severity,
            "where": item.where,
            "tags": list(item.tags),
            "meta": dict(item.config.get("meta") or {}),
        }
    config = {k: v for k, v in item.config.items() if k != "tags"}
    config.update(
        {
            "enabled": True,
            "materialized": item.materialized if item.kind == "model" else "seed",
            "schema": item.schema,
            "tags": list(item.tags),
        }
    )
    if item.unique_key is not None:
        config["unique_key"] = item.unique_key
    return config


def _relative(path: Path | None, base: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def node_entry(manifest: Manifest, node: Node, compiled: str | None = None) -> dict[str, Any]:
    transforms = manifest.transforms_dir
    models = transforms / "models"
    folders = list(node.path.relative_to(models).parent.parts) if node.kind == "model" else []
    resource_type = node.kind
    return {
        "unique_id": node.unique_id,
        "name": node.name,
        "resource_type": resource_type,
        "package_name": node.package,
        "path": _relative(node.path, models if node.kind == "model" else transforms),
        "original_file_path": _relative(node.path, manifest.root),
        "patch_path": _relative(node.properties_path, manifest.root),
        "fqn": [node.package, *folders, node.name],
        "database": None,
        "schema": node.schema,
        "alias": node.name,
        "relation_name": node.relation,
        "description": node.description,
        "columns": {
            name: {
                "name": name,
                "description": column.description,
                "data_type": column.data_type,
                "tags": list(column.tags),
                "meta": dict(column.meta),
            }
            for name, column in node.columns.items()
        },
        "tags": list(node.tags),
        "config": config_of(node),
        "checksum": {"name": "sha256", "checksum": checksum_of(node)},
        "depends_on": {
            "nodes": [manifest.nodes[r].unique_id for r in node.refs]
            + [f"source.{node.package}.{s}.{t}" for s, t in node.sources],
            "macros": [],
        },
        "refs": [{"name": r, "package": None, "version": None} for r in node.refs],
        "sources": [[s, t] for s, t in node.sources],
        "language": "sql" if node.kind == "model" else None,
        "raw_code": node.template if node.kind == "model" else "",
        "compiled_code": compiled,
    }


def test_entry(manifest: Manifest, test: DataTest, compiled: str | None = None) -> dict[str, Any]:
    attached = manifest.nodes.get(test.attached_to) if test.attached_to else None
    kwargs = {k: v for k, v in test.kwargs.items() if k != "to_node"}
    if test.column:
        kwargs = {"column_name": test.column, **kwargs}
    return {
        "unique_id": test.unique_id,
        "name": test.name,
        "resource_type": "test",
        "package_name": test.package,
        "path": _relative(test.path, manifest.transforms_dir),
        "original_file_path": _relative(test.path, manifest.root),
        "fqn": [test.package, test.name],
        "schema": attached.schema if attached else None,
        "description": test.description,
        "tags": list(test.tags),
        "config": config_of(test),
        "checksum": {"name": "sha256", "checksum": checksum_of(test)},
        "column_name": test.column,
        "attached_node": attached.unique_id if attached else None,
        "test_metadata": {"name": test.test_name, "kwargs": kwargs, "namespace": None}
        if test.test_type == "generic"
        else None,
        "depends_on": {"nodes": [manifest.nodes[n].unique_id for n in test.depends_on], "macros": []},
        "refs": [{"name": n, "package": None, "version": None} for n in test.depends_on],
        "language": "sql",
        "raw_code": test.template,
        "compiled_code": compiled,
    }


def manifest_document(manifest: Manifest, invocation_id: str, compiled: dict[str, str] | None = None) -> dict[str, Any]:
    """manifest.json: dbt's shape where it fits riftlab (``compiled``: rendered SQL by unique id)."""
    compiled = compiled or {}
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for name in manifest.order:
        node = manifest.nodes[name]
        nodes[node.unique_id] = node_entry(manifest, node, compiled.get(node.unique_id))
        for schema, table in node.sources:
            uid = f"source.{node.package}.{schema}.{table}"
            sources.setdefault(
                uid,
                {
                    "unique_id": uid,
                    "name": table,
                    "source_name": schema,
                    "resource_type": "source",
                    "package_name": node.package,
                    "schema": schema,
                    "identifier": table,
                    "relation_name": f"{schema}.{table}",
                    "fqn": [node.package, schema, table],
                },
            )
    for name in manifest.test_order():
        test = manifest.tests[name]
        nodes[test.unique_id] = test_entry(manifest, test, compiled.get(test.unique_id))
    parent_map: dict[str, list[str]] = {uid: entry["depends_on"]["nodes"] for uid, entry in nodes.items()}
    parent_map.update({uid: [] for uid in sources})
    child_map: dict[str, list[str]] = {uid: [] for uid in parent_map}
    for uid, parents in parent_map.items():
        for parent in parents:
            child_map[parent].append(uid)
    return {
        "metadata": {
            "dbt_schema_version": MANIFEST_SCHEMA,
            "generated_at": _now(),
            "invocation_id": invocation_id,
            "project_name": manifest.package,
            "adapter_type": "duckdb",
            "generator": "riftlab",
        },
        "nodes": nodes,
        "sources": sources,
        "disabled": {node.unique_id: [node_entry(manifest, node)] for node in manifest.disabled.values()},
        "parent_map": parent_map,
        "child_map": child_map,
        "exposures": {},
        "metrics": {},
        "macros": {},
        "docs": {},
        "selectors": {},
    }


def write_manifest(
    project: Project, manifest: Manifest, invocation_id: str, compiled: dict[str, str] | None = None
) -> Path:
    return write_json(target_dir(project) / "manifest.json", manifest_document(manifest, invocation_id, compiled))


@dataclass
class RunResult:
    """One node's or test's result as run_results.json holds it."""

    unique_id: str
    status: str  # models: success, error, skipped; tests: pass, fail, warn, error, skipped
    started_at: datetime | None
    completed_at: datetime | None
    execution_time: float
    message: str | None
    rows_affected: int | None = None
    failures: int | None = None
    relation_name: str | None = None

    def document(self) -> dict[str, Any]:
        timing = []
        if self.started_at and self.completed_at:
            stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
            timing = [
                {
                    "name": "execute",
                    "started_at": self.started_at.strftime(stamp),
                    "completed_at": self.completed_at.strftime(stamp),
                }
            ]
        response: dict[str, Any] = {"_message": "OK" if self.status in ("success", "pass") else self.status.upper()}
        if self.rows_affected is not None:
            response["rows_affected"] = self.rows_affected
        return {
            "unique_id": self.unique_id,
            "status": self.status,
            "timing": timing,
            "thread_id": "Thread-1",
            "execution_time": round(self.execution_time, 4),
            "adapter_response": response,
            "message": self.message,
            "failures": self.failures,
            "relation_name": self.relation_name,
        }


def write_run_results(
    project: Project, invocation_id: str, command: str, results: list[RunResult], elapsed: float, args: dict[str, Any]
) -> Path:
    document = {
        "metadata": {
            "dbt_schema_version": RUN_RESULTS_SCHEMA,
            "generated_at": _now(),
            "invocation_id": invocation_id,
            "generator": "riftlab",
        },
        "results": [r.document() for r in results],
        "elapsed_time": round(elapsed, 4),
        "args": {"which": command, **args},
    }
    return write_json(target_dir(project) / "run_results.json", document)
