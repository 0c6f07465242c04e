"""Render SQL templates (models and SQL expectations) with Jinja: ``ref``, ``source``, ``var``, ``config``,
``is_incremental``, ``this``, ``rules``, and the literals ``sql_string``, ``sql_list`` and ``literal``.

Rendering keeps line numbers (no block trimming), so a DuckDB error on line N
of the rendered SQL points at line N of the template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from warehouse.errors import ModelError, RiftlabError
from warehouse.runner.nodes import MATERIALIZATIONS, relation
from warehouse.sql_literals import list_literal, literal, string_literal

_MISSING = object()


@dataclass
class RenderCapture:
    """What one rendering saw: the refs, sources and config the template asked for."""

    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    rule_files: list[str] = field(default_factory=list)


class _RuleFiles(dict):
    """The rule documents, recording which ones a template reads (they become dependencies)."""

    def __init__(self, documents: dict[str, Any], seen: list[str]):
        super().__init__(documents)
        self._seen = seen

    def __getitem__(self, key: str) -> Any:
        self._seen.append(key)
        return super().__getitem__(key)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def line_of(template: str, pattern: str) -> int | None:
    """The 1-based line of the first match of ``pattern`` in ``template``."""
    match = re.search(pattern, template)
    return template.count("\n", 0, match.start()) + 1 if match else None


def render(
    path: Path,
    template: str,
    *,
    variables: dict[str, Any],
    rules: dict[str, Any],
    resolve_ref: Callable[[str], str] | None = None,
    incremental: bool = False,
    this: str | None = None,
    display: str | None = None,
) -> tuple[str, RenderCapture]:
    """Render ``template``; ``resolve_ref`` maps a ref name to its relation (None: any name resolves)."""
    capture = RenderCapture()
    where = display or str(path)

    def ref(name: str) -> str:
        capture.refs.append(name)
        return resolve_ref(name) if resolve_ref else relation(name)

    def source(schema: str, table: str) -> str:
        capture.sources.append((schema, table))
        return relation(table, schema)

    def var(name: str, default: Any = _MISSING) -> Any:
        if name in variables:
            return variables[name]
        if default is _MISSING:
            line = line_of(template, rf"var\(\s*['\"]{re.escape(name)}['\"]")
            raise ModelError(
                f"{where}:{line or '?'}: var('{name}') is not set in riftlab.yaml 'vars' and has no default"
            )
        return default

    def config(**kwargs: Any) -> str:
        materialized = kwargs.get("materialized", "table")
        if materialized not in MATERIALIZATIONS:
            raise ModelError(f"{where}: materialized='{materialized}' is not one of {', '.join(MATERIALIZATIONS)}")
        capture.config.update(kwargs)
        return ""

    context = {
        "ref": ref,
        "source": source,
        "var": var,
        "config": config,
        "is_incremental": lambda: incremental,
        "this": this or "",
        "rules": _RuleFiles(rules, capture.rule_files),
        "sql_string": string_literal,
        "sql_list": list_literal,
        "literal": literal,
    }
    try:
        sql = _environment().from_string(template).render(**context)
    except RiftlabError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise ModelError(f"{where}:{exc.lineno}: Jinja syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise ModelError(f"{where}: Jinja error: {exc.message}") from None
    except Exception as exc:  # any Python error an expression raises ({{ 1/0 }}) is the template's fault
        line = _template_line(exc)
        raise ModelError(f"{where}{f':{line}' if line else ''}: Jinja error: {type(exc).__name__}: {exc}") from None
    return sql, capture


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception was raised on (Jinja rewrites its frames to ``<template>`` lines)."""
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
