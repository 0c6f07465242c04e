"""What the runner builds and tests: models, seeds and rule tables as nodes of one DAG, and the data tests on them.

The docs and reports read this graph (through :class:`warehouse.runner.manifest.Manifest` and
``target/manifest.json``): a node's ``unique_id`` (``model.riftlab.champions``), its resolved
``config``, ``tags``, ``columns`` and ``description``; a test's ``depends_on`` and ``attached_to``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.sql_literals import quote_identifier

MATERIALIZATIONS = ("table", "view", "incremental")
#: the schema models publish to unless configured otherwise (``+schema``)
DEFAULT_SCHEMA = "main"
#: the package name in unique ids when a project names none
DEFAULT_PACKAGE = "riftlab"


def relation(name: str, schema: str = DEFAULT_SCHEMA) -> str:
    """The quoted relation a node publishes to."""
    return f"{schema}.{quote_identifier(name)}"


@dataclass
class Column:
    """A column as schema.yml describes it."""

    name: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    data_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Node:
    name: str
    kind: str  # model, seed, rules
    path: Path
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    materialized: str = "table"
    unique_key: str | list[str] | None = None
    # model: the SQL template text; rules: the parsed YAML document
    template: str = ""
    payload: Any = None
    description: str = ""
    schema: str = DEFAULT_SCHEMA
    tags: list[str] = field(default_factory=list)
    #: the resolved configuration: riftlab.yaml folders < schema.yml ``config:`` < ``{{ config() }}``
    config: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    #: the schema.yml that describes the node, if any
    properties_path: Path | None = None
    package: str = DEFAULT_PACKAGE

    @property
    def relation(self) -> str:
        return relation(self.name, self.schema)

    @property
    def resource_type(self) -> str:
        return self.kind

    @property
    def unique_id(self) -> str:
        return f"{self.kind}.{self.package}.{self.name}"

    def display_path(self, root: Path) -> str:
        try:
            return str(self.path.relative_to(root))
        except ValueError:
            return str(self.path)


#: dbt's generic tests riftlab runs
GENERIC_TESTS = ("unique", "not_null", "accepted_values", "relationships")
SEVERITIES = ("error", "warn")


@dataclass
class DataTest:
    """A dbt data test: a generic test of schema.yml (unique, not_null, accepted_values, relationships)
    or a singular test (``transforms/tests/*.sql`` returning the failing rows)."""

    name: str
    test_type: str  # generic, singular
    test_name: str  # unique, not_null, accepted_values, relationships; a singular test's file stem
    path: Path  # the schema.yml that declares it, or the test's SQL file
    depends_on: list[str]  # the nodes it reads
    attached_to: str | None = None  # the model (or seed) it is declared on
    column: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)  # values, to, field ...
    severity: str = "error"  # error: a failure stops the node's descendants; warn: reported only
    where: str | None = None  # tests only the rows matching this SQL condition
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    template: str = ""  # singular tests: the SQL template
    description: str = ""
    package: str = DEFAULT_PACKAGE

    @property
    def kind(self) -> str:
        return "test"

    @property
    def resource_type(self) -> str:
        return "test"

    @property
    def unique_id(self) -> str:
        return f"test.{self.package}.{self.name}"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def display_path(self, root: Path) -> str:
        try:
            return str(self.path.relative_to(root))
        except ValueError:
            return str(self.path)
