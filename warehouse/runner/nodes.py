"""What the runner builds: models, seeds and rule tables, as nodes of one DAG."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.sql_literals import quote_identifier

MATERIALIZATIONS = ("table", "view", "incremental")


def relation(name: str, schema: str = "main") -> str:
    """The quoted relation a node publishes to."""
    return f"{schema}.{quote_identifier(name)}"


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

    @property
    def relation(self) -> str:
        return relation(self.name)

    def display_path(self, root: Path) -> str:
        try:
            return str(self.path.relative_to(root))
        except ValueError:
            return str(self.path)
