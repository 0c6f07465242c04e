"""Properties files: the ``*.yml`` beside models and seeds (dbt's ``schema.yml``).

::

    version: 2
    models:
      - name: orders
        description: One row per order.
        config: {materialized: table, tags: [finance]}   # between riftlab.yaml folders and config()
        data_tests:                                       # model-level tests (dbt's older key: tests)
          - unique: {column_name: order_id}
        columns:
          - name: status
            description: placed, shipped or returned
            tags: [status]                                # tags of the column's tests
            data_tests:
              - not_null
              - accepted_values: {values: [placed, shipped, returned], config: {severity: warn}}
    seeds:
      - name: raw_customers
        columns: [{name: id, data_tests: [unique]}]

Columns may also be a mapping of name to description (riftlab's short form).  A key riftlab does
not know is refused with the file and the entry (dbt keys riftlab has no use for are accepted), so a
misspelt ``data_test:`` cannot silently drop tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.config import read_yaml
from warehouse.errors import ConfigError, did_you_mean
from warehouse.runner.folder_config import tag_list
from warehouse.runner.nodes import Column

#: top-level sections riftlab reads, and those of dbt it accepts and leaves alone
_SECTIONS = {"models", "seeds"}
_IGNORED_SECTIONS = {
    "version", "sources", "snapshots", "analyses", "macros", "exposures", "metrics", "semantic_models",
    "saved_queries", "unit_tests", "groups", "data_tests",
}  # fmt: skip
_ENTRY_KEYS = {"name", "description", "columns", "data_tests", "tests", "config", "tags"}
_IGNORED_ENTRY_KEYS = {
    "meta", "docs", "access", "constraints", "contract", "latest_version", "versions", "group",
    "deprecation_date", "time_spine",
}  # fmt: skip
_COLUMN_KEYS = {"name", "description", "data_tests", "tests", "tags", "data_type", "meta"}
_IGNORED_COLUMN_KEYS = {"quote", "constraints", "policy_tags", "granularity", "docs"}


@dataclass
class TestEntry:
    """One entry of a ``data_tests:`` list, with where it was declared."""

    entry: Any
    column: str | None
    tags: list[str]  # the column's tags (dbt gives them to the column's tests)
    where: str  # "models/schema.yml: model 'orders' column 'status' test 2"


@dataclass
class Properties:
    """What one properties file says about one model or seed."""

    name: str
    section: str  # models, seeds
    path: Path
    display: str
    description: str = ""
    columns: dict[str, Column] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    tests: list[TestEntry] = field(default_factory=list)


def _unknown(keys: set, allowed: set, ignored: set, where: str) -> None:
    unknown = sorted(str(k) for k in keys - allowed - ignored)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}'{did_you_mean(unknown[0], sorted(allowed))}; "
            f"riftlab reads {', '.join(sorted(allowed))}"
        )


def _text(value: Any, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be text, got {value!r}")
    return value.strip()


def _tests_of(mapping: dict, where: str) -> list[Any]:
    if "data_tests" in mapping and "tests" in mapping:
        raise ConfigError(f"{where}: both 'data_tests' and 'tests'; keep one ('tests' is dbt's older name)")
    tests = mapping.get("data_tests", mapping.get("tests")) or []
    if not isinstance(tests, list):
        raise ConfigError(f"{where}: 'data_tests' must be a list of tests, got {type(tests).__name__}")
    return tests


def _columns(value: Any, where: str) -> tuple[dict[str, Column], list[TestEntry]]:
    columns: dict[str, Column] = {}
    tests: list[TestEntry] = []
    if value is None:
        return columns, tests
    if isinstance(value, dict):  # riftlab's short form: name -> description
        for name, description in value.items():
            columns[str(name)] = Column(str(name), _text(description, where, f"columns.{name}"))
        return columns, tests
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'columns' must be a list of columns (or a mapping of name to description)")
    for index, column in enumerate(value):
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            raise ConfigError(f"{where}: column {index + 1} needs a 'name'")
        name = column["name"]
        here = f"{where} column '{name}'"
        _unknown(set(column), _COLUMN_KEYS, _IGNORED_COLUMN_KEYS, here)
        tags = _tags(column.get("tags"), here)
        columns[name] = Column(
            name,
            _text(column.get("description"), here, "description"),
            tags,
            column.get("data_type"),
            dict(column.get("meta") or {}),
        )
        for number, entry in enumerate(_tests_of(column, here), start=1):
            tests.append(TestEntry(entry, name, tags, f"{here} test {number}"))
    return columns, tests


def _tags(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return tag_list(value)
    raise ConfigError(f"{where}: 'tags' must be a tag or a list of tags, got {value!r}")


def _entry(entry: Any, section: str, path: Path, display: str, index: int) -> Properties:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"{display}: entry {index + 1} under '{section}' needs a 'name'")
    name = entry["name"]
    where = f"{display}: {section[:-1]} '{name}'"
    _unknown(set(entry), _ENTRY_KEYS, _IGNORED_ENTRY_KEYS, where)
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: 'config' must be a mapping (materialized, tags, schema ...)")
    config = dict(config)
    if entry.get("tags") is not None:  # dbt's older place for a model's tags
        config["tags"] = _tags(config.get("tags"), where) + _tags(entry["tags"], where)
    columns, tests = _columns(entry.get("columns"), where)
    model_tests = [
        TestEntry(test, None, [], f"{where} test {number}") for number, test in enumerate(_tests_of(entry, where), 1)
    ]
    return Properties(
        name=name,
        section=section,
        path=path,
        display=display,
        description=_text(entry.get("description"), where, "description"),
        columns=columns,
        config=config,
        tests=model_tests + tests,
    )


def property_files(transforms_dir: Path) -> list[Path]:
    files: list[Path] = []
    for folder in ("models", "seeds"):
        base = transforms_dir / folder
        if base.is_dir():
            files.extend(sorted([*base.rglob("*.yml"), *base.rglob("*.yaml")]))
    return files


def read_properties(transforms_dir: Path, root: Path) -> dict[tuple[str, str], Properties]:
    """Every entry of every properties file, by (section, name); one name described twice is refused."""
    found: dict[tuple[str, str], Properties] = {}
    for path in property_files(transforms_dir):
        try:
            display = str(path.relative_to(root))
        except ValueError:
            display = str(path)
        try:
            document = read_yaml(path)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(path), display)) from None
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ConfigError(f"{display}: expected a mapping with a 'models' list")
        _unknown(set(document), _SECTIONS, _IGNORED_SECTIONS, display)
        for section in sorted(_SECTIONS & set(document)):
            entries = document[section] or []
            if not isinstance(entries, list):
                raise ConfigError(f"{display}: '{section}' must be a list of entries with a 'name'")
            for index, entry in enumerate(entries):
                properties = _entry(entry, section, path, display, index)
                key = (section, properties.name)
                if key in found:
                    raise ConfigError(
                        f"{section[:-1]} '{properties.name}' is described twice: {found[key].display} and {display}"
                    )
                found[key] = properties
    return found
