"""Declarative rule files: ``transforms/rules/*.yml``.

Rules are data, not code.  A rule file is a YAML mapping; its ``rules`` list (of
mappings) is published as the table ``rules_<file stem>``, and the whole
document is available to SQL templates as ``rules.<file stem>``.  A file may
declare the shape of its rules under ``columns``::

    columns:
      name: text                 # required text
      pattern: regex             # must compile, in Python and in DuckDB (RE2)
      action: [mask, drop_sentence, drop_section]   # one of these
      weight: number?            # a trailing ? makes a column optional
      facts: {list_of: [position, class]}   # a list whose items are among these
      replacement: text?
    defaults:
      replacement: ''            # what a rule that leaves a column out gets
    rules:
      - {name: ..., pattern: ..., action: mask}

so a typo or a broken pattern is reported with the file and the rule.  Every
rule is returned with every declared column: its own value, else the file's
default, else null; so templates, rule tables and checks read one shape.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import duckdb

from warehouse.config import read_yaml
from warehouse.errors import ConfigError

TYPES = ("text", "regex", "number", "integer", "boolean", "list", "any")


def load_rule_file(path: Path, display: str) -> dict[str, Any]:
    """Parse and validate one rule file; returns the document with its rules in the declared shape."""
    try:
        document = read_yaml(path)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(path), display)) from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"{display}: a rule file must be a mapping (with a 'rules' list), got {type(document).__name__}"
        )
    rules = document.get("rules")
    if rules is not None:
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ConfigError(f"{display}: 'rules' must be a list of mappings")
        columns = document.get("columns")
        spec = _parse_columns(columns, display) if columns is not None else {}
        defaults = _parse_defaults(document.get("defaults"), spec, display)
        rules = [_with_defaults(rule, defaults) for rule in rules]
        if columns is not None:
            _check_rules(rules, spec, display)
            rules = [{column: rule.get(column) for column in spec} for rule in rules]
        document["rules"] = rules
    return document


def load_rule_files(folder: Path, root: Path) -> dict[str, dict[str, Any]]:
    """Every ``<stem>.yml`` of ``folder`` by stem, as templates read them (``rules.<stem>``)."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            display = str(path.relative_to(root))
        except ValueError:
            display = str(path)
        documents[path.stem] = load_rule_file(path, display)
    return documents


def _with_defaults(rule: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The rule with each column it leaves out (or leaves empty) set to the file's default."""
    return {**rule, **{name: value for name, value in defaults.items() if rule.get(name) is None}}


def _parse_defaults(defaults: Any, spec: dict[str, tuple[Any, bool]], display: str) -> dict[str, Any]:
    """The ``defaults`` mapping, each value checked against its declared column type."""
    if defaults is None:
        return {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{display}: 'defaults' must map column names to values, got {type(defaults).__name__}")
    if spec:
        unknown = sorted(str(name) for name in defaults if name not in spec)
        if unknown:
            raise ConfigError(
                f"{display}: 'defaults' names undeclared column(s) {', '.join(unknown)}; declared: {', '.join(spec)}"
            )
    for name, value in defaults.items():
        if name in spec and value is not None:
            _check_value(value, spec[name][0], f"{display}: 'defaults' '{name}'")
    return {str(name): value for name, value in defaults.items() if value is not None}


def _parse_columns(columns: Any, display: str) -> dict[str, tuple[Any, bool]]:
    if not isinstance(columns, dict):
        raise ConfigError(
            f"{display}: 'columns' must map column names to types ({', '.join(TYPES)} or a list of allowed values)"
        )
    spec: dict[str, tuple[Any, bool]] = {}
    for name, kind in columns.items():
        optional = isinstance(kind, str) and kind.endswith("?")
        base = kind[:-1] if optional else kind
        if isinstance(base, dict):
            if set(base) != {"list_of"} or not isinstance(base["list_of"], list):
                raise ConfigError(
                    f"{display}: column '{name}' type must be {{list_of: [allowed values]}}, got {kind!r}"
                )
        elif not isinstance(base, list) and base not in TYPES:
            raise ConfigError(f"{display}: column '{name}' has unknown type {kind!r}; use {', '.join(TYPES)} or a list")
        spec[str(name)] = (base, optional)
    return spec


def _label(rule: dict[str, Any], index: int) -> str:
    return f"rule {index + 1}" + (f" ('{rule['name']}')" if "name" in rule else "")


def _check_rules(rules: list[dict[str, Any]], spec: dict[str, tuple[Any, bool]], display: str) -> None:
    for index, rule in enumerate(rules):
        label = _label(rule, index)
        unknown = sorted(set(rule) - set(spec))
        if unknown:
            raise ConfigError(f"{display}: {label} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(spec)}")
        for column, (kind, optional) in spec.items():
            if column not in rule or rule[column] is None:
                if not optional:
                    raise ConfigError(f"{display}: {label} is missing '{column}'")
                continue
            _check_value(rule[column], kind, f"{display}: {label} '{column}'")


def _check_value(value: Any, kind: Any, where: str) -> None:
    if isinstance(kind, dict):
        allowed = kind["list_of"]
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list of {', '.join(map(str, allowed))}, got {value!r}")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ConfigError(
                f"{where} has unknown value(s) {', '.join(map(str, unknown))}; allowed: {', '.join(map(str, allowed))}"
            )
    elif isinstance(kind, list):
        if value not in kind:
            raise ConfigError(f"{where} is {value!r}; expected one of {', '.join(map(str, kind))}")
    elif kind in ("text", "regex") and not isinstance(value, str):
        raise ConfigError(f"{where} must be text, got {value!r}")
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    elif kind == "list" and not isinstance(value, list):
        raise ConfigError(f"{where} must be a list, got {value!r}")
    if kind == "regex":
        check_regex(value, where)


@functools.lru_cache(maxsize=1)
def _regex_probe() -> duckdb.DuckDBPyConnection:
    """A private in-memory connection (the module-level default one is shared with callers)."""
    return duckdb.connect()


def check_regex(pattern: str, where: str) -> None:
    """A pattern must compile in Python and in DuckDB's RE2, since SQL and Python both apply rules."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where} is not a valid regular expression: {exc}") from None
    try:
        _regex_probe().execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        raise ConfigError(
            f"{where} is not a valid RE2 regular expression (DuckDB): {str(exc).splitlines()[0]}"
        ) from None


def rules_table(document: dict[str, Any]):
    """The ``rules`` list as an Arrow table (all columns present in every row)."""
    import pyarrow as pa

    rules = document.get("rules") or []
    columns: list[str] = []
    for rule in rules:
        columns.extend(k for k in rule if k not in columns)
    for declared in document.get("columns") or {}:
        if declared not in columns:
            columns.append(declared)
    rows = [{c: rule.get(c) for c in columns} for rule in rules]
    if not rows:
        return pa.table({c: pa.array([], pa.string()) for c in columns}) if columns else None
    return pa.Table.from_pylist(rows)
