"""Declarative task definitions: one YAML file per task, naming the SQL that feeds it.

A task file says what kind of mteb task it is, which SQL file(s) produce its rows, its splits,
its metrics (the first is the main one) and its ``params``.  The SQL is a Jinja template rendered
by the runner's renderer, as models are: ``{{ ref('champions') }}`` reads a table the runner
builds, and ``var()`` reads the task's ``params`` and ``split`` (the split being read).  The
tables a task needs, and the command that builds each, follow from its refs.  ``allow_empty``
splits are skipped when their SQL returns nothing; ``diagnostic_splits`` are scored and shown
but are no gate for ``riftlab promote``.  Adding a task is adding a file (``tasks/*.yml``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from evaluation.errors import EvaluationError
from warehouse.config import read_yaml
from warehouse.db import table_exists
from warehouse.errors import RiftlabError, did_you_mean
from warehouse.runner.rendering import RenderCapture, render

BUILTIN_TASKS_DIR = Path(__file__).resolve().parent / "tasks"

#: kind -> (SQL parts it needs, columns each part must return)
KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "clustering": {"rows": ("text", "label")},
    "neighbours": {"rows": ("text", "label")},
    "pair_classification": {"rows": ("text1", "text2", "label")},
    "triplets": {"rows": ("anchor", "positive", "negative")},
    "retrieval": {"queries": ("query_id", "target", "text", "mask_terms"), "corpus": ("doc_id", "text")},
    # language-model tasks (evaluation/lm_tasks.py), scored on causal LMs rather than embedders
    "perplexity": {"rows": ("text",)},
    "multiple_choice": {"rows": ("question", "answer_prefix", "choices", "answer")},
}
#: the kinds a causal LM is scored on; every other kind is an embedding task run through mteb
LM_KINDS = frozenset({"perplexity", "multiple_choice"})

_KEYS = {
    "name",
    "kind",
    "description",
    "sql",
    "splits",
    "allow_empty",
    "diagnostic_splits",
    "metrics",
    "params",
    "mask_token",
}


@dataclass(frozen=True)
class TaskSpec:
    """One task as declared in its YAML file."""

    name: str
    kind: str
    description: str
    sql: dict[str, Path]  # part -> SQL file
    splits: tuple[str, ...]
    metrics: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)  # "main.table" its SQL refs -> command that builds it
    allow_empty: tuple[str, ...] = ()
    diagnostic_splits: tuple[str, ...] = ()  # scored and shown, not a promotion gate (e.g. parts of another split)
    mask_token: str | None = None  # None: the project's vars.mask_token (set by the runner)
    source: Path | None = None

    @property
    def main_metric(self) -> str:
        return self.metrics[0]

    @property
    def family(self) -> str:
        """``lm`` for a language-model task, ``embedding`` for an mteb one: the models it applies to."""
        return "lm" if self.kind in LM_KINDS else "embedding"

    @property
    def k(self) -> int:
        return int(self.params.get("k", 5))


@dataclass
class TaskData:
    """The rows a task read, per split, and a hash of them (the data snapshot id)."""

    spec: TaskSpec
    splits: dict[str, dict[str, list[dict[str, Any]]]]  # split -> part -> rows
    snapshot_id: str
    skipped_splits: tuple[str, ...] = ()


def _fail(path: Path, message: str) -> EvaluationError:
    return EvaluationError(f"{path}: {message}")


def load_spec(path: Path) -> TaskSpec:
    """Read and validate one task file."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise _fail(path, "a task file must be a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_KEYS))}")
    for key in ("name", "kind", "sql", "splits", "metrics"):
        if not raw.get(key):
            raise _fail(path, f"missing '{key}'")
    kind = raw["kind"]
    if kind not in KINDS:
        raise _fail(path, f"unknown kind '{kind}'; kinds: {', '.join(sorted(KINDS))}")
    splits = tuple(str(s) for s in raw["splits"])
    spec = TaskSpec(
        name=str(raw["name"]),
        kind=kind,
        description=str(raw.get("description") or raw["name"]),
        sql=_sql_files(path, kind, raw["sql"]),
        splits=splits,
        metrics=tuple(str(m) for m in raw["metrics"]),
        params=dict(raw.get("params") or {}),
        allow_empty=_some_splits(path, raw, "allow_empty", splits),
        diagnostic_splits=_some_splits(path, raw, "diagnostic_splits", splits),
        mask_token=str(raw["mask_token"]) if raw.get("mask_token") else None,
        source=path,
    )
    return replace(spec, needs=_needs(spec))


def _sql_files(path: Path, kind: str, declared: str | dict[str, str]) -> dict[str, Path]:
    """Each SQL part the kind needs -> its file, found beside the task file."""
    parts = declared if isinstance(declared, dict) else {"rows": declared}
    if set(parts) != set(KINDS[kind]):
        raise _fail(path, f"kind '{kind}' needs sql part(s) {', '.join(KINDS[kind])}, got {', '.join(parts)}")
    files: dict[str, Path] = {}
    for part, relative in parts.items():
        files[part] = (path.parent / str(relative)).resolve()
        if not files[part].is_file():
            raise _fail(path, f"sql file {relative} not found (looked at {files[part]})")
    return files


def _some_splits(path: Path, raw: dict[str, Any], key: str, splits: tuple[str, ...]) -> tuple[str, ...]:
    """The splits listed under ``key``, each of which must be one of ``splits``."""
    named = tuple(str(s) for s in raw.get(key) or ())
    unknown = sorted(set(named) - set(splits))
    if unknown:
        raise _fail(path, f"{key} names split(s) not in splits: {', '.join(unknown)}")
    return named


def render_sql(spec: TaskSpec, part: str, split: str) -> tuple[str, RenderCapture]:
    """The SQL of one part for one split, rendered by the runner with ``var()`` reading params and split."""
    path = spec.sql[part]
    try:
        return render(path, path.read_text(encoding="utf-8"), variables={**spec.params, "split": split}, rules={})
    except RiftlabError as exc:
        raise EvaluationError(f"task {spec.name}: {exc}") from None


def _needs(spec: TaskSpec) -> dict[str, str]:
    """Each table the task's SQL refs (every part, every split) with the command that builds it, first ref first."""
    refs = [ref for part in spec.sql for split in spec.splits for ref in render_sql(spec, part, split)[1].refs]
    return {f"main.{ref}": f"riftlab build --select {ref}" for ref in dict.fromkeys(refs)}


def tasks_dir(config: dict[str, Any], root: Path) -> Path:
    configured = config.get("tasks_dir") or ""
    return (root / configured).resolve() if configured else BUILTIN_TASKS_DIR


def load_specs(folder: Path) -> dict[str, TaskSpec]:
    """Every task in ``folder``, by name; two files declaring one name is an error."""
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: no such task folder (evaluation.tasks_dir in riftlab.yaml)")
    specs: dict[str, TaskSpec] = {}
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        spec = load_spec(path)
        if spec.name in specs:
            raise _fail(path, f"task {spec.name} is already declared in {specs[spec.name].source}")
        specs[spec.name] = spec
    return specs


def select(specs: dict[str, TaskSpec], names: list[str] | tuple[str, ...]) -> list[TaskSpec]:
    """The tasks named (all when none are), failing on a name no file declares."""
    if not names:
        return list(specs.values())
    for name in names:
        if name not in specs:
            raise EvaluationError(
                f"unknown task '{name}'{did_you_mean(name, list(specs))}; tasks: {', '.join(sorted(specs))}"
            )
    return [specs[name] for name in names]


def check_tables(con: duckdb.DuckDBPyConnection, spec: TaskSpec) -> None:
    """Fail naming the build target when a table the task reads is missing."""
    for table, command in spec.needs.items():
        schema, _, name = table.partition(".")
        if not table_exists(con, schema, name):
            raise EvaluationError(
                f"task {spec.name} needs the table {table}, which the warehouse lacks: `{command}` makes it"
            )


def _query(con: duckdb.DuckDBPyConnection, spec: TaskSpec, part: str, split: str) -> list[dict[str, Any]]:
    path = spec.sql[part]
    sql, _ = render_sql(spec, part, split)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise EvaluationError(f"task {spec.name}, split {split}: {path.name} failed: {first}") from None
    required = KINDS[spec.kind][part]
    absent = [c for c in required if c not in columns]
    if absent:
        raise EvaluationError(
            f"{path}: must return column(s) {', '.join(absent)} for a {spec.kind} task (returns {', '.join(columns)})"
        )
    return rows


def _empty_split_hint(con: duckdb.DuckDBPyConnection, split: str) -> str:
    """Say why a split is empty when the cause is that no champion is in it."""
    if not table_exists(con, "main", "champions"):
        return ""
    ((count,),) = con.execute("SELECT count(*) FROM main.champions WHERE embedding_split = ?", [split]).fetchall()
    if count or split in {"all", "validation"}:
        return ""
    return (
        f"; no champion in main.champions has embedding_split='{split}': list held-out champions in riftlab.yaml "
        "and run `riftlab build --select champions`"
    )


#: Rows a split needs before mteb can score it (a one-pair pair-classification split is read by
#: mteb as its legacy format and fails; a single pair has no ranking anyway).
MIN_ROWS = {"pair_classification": 2}


def load_task_data(con: duckdb.DuckDBPyConnection, spec: TaskSpec) -> TaskData:
    """Run the task's SQL for each split; an empty split is an error unless ``allow_empty`` names it."""
    check_tables(con, spec)
    splits: dict[str, dict[str, list[dict[str, Any]]]] = {}
    skipped = []
    for split in spec.splits:
        parts = {part: _query(con, spec, part, split) for part in spec.sql}
        least = MIN_ROWS.get(spec.kind, 1)
        empty = [part for part, rows in parts.items() if len(rows) < least]
        if empty:
            if split in spec.allow_empty:
                skipped.append(split)
                continue
            hint = _empty_split_hint(con, split)
            found = ", ".join(f"{part} returned {len(parts[part])} row(s)" for part in empty)
            need = f"; a {spec.kind} split needs at least {least}" if least > 1 else ""
            raise EvaluationError(f"task {spec.name}: the '{split}' split is too small to score ({found}{need}{hint})")
        splits[split] = parts
    if not splits:
        raise EvaluationError(f"task {spec.name}: every split is empty ({', '.join(spec.splits)})")
    digest = hashlib.sha256()
    # what the task computes is part of its identity: a changed parameter or metric list re-runs it
    definition = {"params": spec.params, "kind": spec.kind, "mask": spec.mask_token, "metrics": spec.metrics}
    digest.update(json.dumps(definition, sort_keys=True, default=str).encode())
    digest.update(json.dumps(splits, sort_keys=True, default=str).encode())
    return TaskData(spec=spec, splits=splits, snapshot_id=digest.hexdigest()[:16], skipped_splits=tuple(skipped))
