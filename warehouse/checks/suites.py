"""Expectation suites: ``transforms/expectations/<table>.yml``, one file per published table.

A suite is a mapping (or a bare list of expectations, the table being the file's stem)::

    table: champions                 # default: the file stem
    made_by: riftlab build --select champions   # said when the table is missing
    expectations:
      - type: expect_column_values_to_be_unique      # a GX type of warehouse.checks.engine.TYPES
        kwargs: {column: champion_key}
        blocking: true                               # gates publication in `riftlab build`
      - type: expect_column_values_to_be_in_set
        kwargs: {column: positions, value_set: [Top, Jungle, Middle, Bottom, Support]}
        unnest: true                                 # a list column: check each element
      - name: every_champion_has_a_position          # riftlab SQL expectation:
        sql: |                                       # a query returning the failing rows
          SELECT champion_key FROM {{ this }} WHERE len(positions) = 0

SQL expectations are rendered like models (``this`` is the relation under test, ``var``, ``ref``,
``rules.<file>``).  Loading checks every entry, so a typo is reported with the file and the expectation
before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.checks.engine import check_expectation
from warehouse.config import read_yaml
from warehouse.errors import ConfigError

SUITES_DIR = "expectations"
SQL_TYPE = "sql"

_GX_KEYS = {"type", "kwargs", "name", "blocking", "description", "unnest"}
_SQL_KEYS = {"name", "sql", "blocking", "description"}
_SUITE_KEYS = {"table", "made_by", "description", "expectations"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GX_TYPE = re.compile(r"^expect_[a-z0-9_]+$")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite: a GX expectation type with kwargs, or a SQL query of failing rows."""

    name: str
    type: str  # a GX expectation type, or "sql"
    kwargs: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None
    blocking: bool = False
    description: str = ""
    unnest: bool = False  # the kwargs' column is a list: validate its elements

    @property
    def is_sql(self) -> bool:
        return self.type == SQL_TYPE

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")

    def columns(self) -> list[str]:
        """Columns of the table this expectation reads (GX expectations only)."""
        names: list[str] = []
        for key in ("column", "column_A", "column_B"):
            if isinstance(self.kwargs.get(key), str):
                names.append(self.kwargs[key])
        for key in ("column_list", "column_set"):
            if isinstance(self.kwargs.get(key), list):
                names.extend(str(c) for c in self.kwargs[key])
        return names


@dataclass(frozen=True)
class Suite:
    table: str
    path: Path
    display: str  # the file as shown to a person (relative to the project)
    made_by: str
    expectations: tuple[Expectation, ...]
    description: str = ""

    @property
    def blocking(self) -> tuple[Expectation, ...]:
        return tuple(e for e in self.expectations if e.blocking)


def _default_name(type_: str, kwargs: dict[str, Any], unnest: bool) -> str:
    columns = kwargs.get("column") or ",".join(map(str, kwargs.get("column_list") or [])) or None
    return f"{type_}({columns}{'[*]' if unnest else ''})" if columns else type_


def _parse_expectation(entry: Any, index: int, display: str) -> Expectation:
    label = f"expectation {index + 1}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{display}: {label} must be a mapping, got {type(entry).__name__}")
    if "name" in entry:
        label += f" ('{entry['name']}')"
    blocking = entry.get("blocking", False)
    if not isinstance(blocking, bool):
        raise ConfigError(f"{display}: {label} 'blocking' must be true or false, got {blocking!r}")
    description = entry.get("description") or ""
    if not isinstance(description, str):
        raise ConfigError(f"{display}: {label} 'description' must be text")
    if "sql" in entry:
        unknown = sorted(set(entry) - _SQL_KEYS)
        if unknown:
            raise ConfigError(
                f"{display}: {label} has unknown key(s) {', '.join(unknown)}; "
                f"a SQL expectation takes {', '.join(sorted(_SQL_KEYS))}"
            )
        name, sql = entry.get("name"), entry["sql"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{display}: {label}: a SQL expectation needs a 'name' (letters, digits, _)")
        if not isinstance(sql, str) or not sql.strip():
            raise ConfigError(f"{display}: {label}: 'sql' must be a query returning the failing rows")
        return Expectation(name=name, type=SQL_TYPE, sql=sql, blocking=blocking, description=description.strip())
    if "type" not in entry:
        raise ConfigError(
            f"{display}: {label} needs either 'type' (a GX expectation) or 'sql' (a query of failing rows)"
        )
    unknown = sorted(set(entry) - _GX_KEYS)
    if unknown:
        raise ConfigError(
            f"{display}: {label} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_GX_KEYS))}"
        )
    type_ = entry["type"]
    if not isinstance(type_, str) or not _GX_TYPE.match(type_):
        raise ConfigError(f"{display}: {label} type {type_!r} is not a GX expectation type (expect_...)")
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{display}: {label} 'kwargs' must be a mapping")
    unnest = entry.get("unnest", False)
    if not isinstance(unnest, bool):
        raise ConfigError(f"{display}: {label} 'unnest' must be true or false")
    if unnest and not isinstance(kwargs.get("column"), str):
        raise ConfigError(f"{display}: {label} 'unnest: true' needs kwargs.column (the list column)")
    check_expectation(type_, kwargs, unnest, f"{display}: {label}")
    name = entry.get("name") or _default_name(type_, kwargs, unnest)
    if not isinstance(name, str):
        raise ConfigError(f"{display}: {label} 'name' must be text")
    return Expectation(
        name=name, type=type_, kwargs=dict(kwargs), blocking=blocking, description=description.strip(), unnest=unnest
    )


def load_suite(path: Path, root: Path | None = None) -> Suite:
    """Parse and validate one suite file."""
    try:
        display = str(path.relative_to(root)) if root else str(path)
    except ValueError:
        display = str(path)
    try:
        document = read_yaml(path)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(path), display)) from None
    if isinstance(document, list):
        document = {"expectations": document}
    if not isinstance(document, dict):
        raise ConfigError(f"{display}: a suite is a mapping with an 'expectations' list (or a bare list)")
    unknown = sorted(set(document) - _SUITE_KEYS)
    if unknown:
        raise ConfigError(f"{display}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_SUITE_KEYS))}")
    table = document.get("table") or path.stem
    if not isinstance(table, str) or not _NAME.match(table):
        raise ConfigError(f"{display}: 'table' must be a table name in schema main, got {table!r}")
    entries = document.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{display}: 'expectations' must be a non-empty list")
    expectations = tuple(_parse_expectation(entry, i, display) for i, entry in enumerate(entries))
    seen: set[str] = set()
    for expectation in expectations:
        if expectation.name in seen:
            raise ConfigError(f"{display}: two expectations are named '{expectation.name}'; give one a distinct 'name'")
        seen.add(expectation.name)
    made_by = document.get("made_by") or f"`riftlab build --select {table}`"
    return Suite(
        table=table,
        path=path,
        display=display,
        made_by=made_by,
        expectations=expectations,
        description=str(document.get("description") or "").strip(),
    )


def suite_files(transforms_dir: Path) -> list[Path]:
    folder = transforms_dir / SUITES_DIR
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def load_suites(
    transforms_dir: Path, root: Path | None = None, select: tuple[str, ...] | list[str] = ()
) -> list[Suite]:
    """Every suite (or those of the ``select``\\ed tables), in table order; unknown selections are an error."""
    suites: dict[str, Suite] = {}
    for path in suite_files(transforms_dir):
        suite = load_suite(path, root)
        if suite.table in suites:
            raise ConfigError(
                f"{suite.display} and {suites[suite.table].display} both declare the suite of table '{suite.table}'"
            )
        suites[suite.table] = suite
    if select:
        unknown = [name for name in select if name not in suites]
        if unknown:
            known = ", ".join(sorted(suites)) or "(none)"
            raise ConfigError(
                f"no expectation suite for {', '.join(unknown)} in {transforms_dir / SUITES_DIR}; suites: {known}"
            )
        return [suites[name] for name in dict.fromkeys(select)]
    return [suites[name] for name in sorted(suites)]
