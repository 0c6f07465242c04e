"""Discover models, seeds and rule files under ``transforms/`` and order them as a DAG.

The DAG comes from ``ref()`` calls (and seeds/rule tables, which are refs too);
``graphlib`` orders it.  A cycle names the cycle; an unknown ref names the file
and line; two nodes with one name name both files.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.config import read_yaml
from warehouse.errors import ConfigError, ModelError, did_you_mean
from warehouse.runner.nodes import Node
from warehouse.runner.rendering import line_of, render
from warehouse.runner.rules import load_rule_file
from warehouse.runner.seeds import validate_seed

RULE_TABLE_PREFIX = "rules_"


@dataclass
class Manifest:
    root: Path
    nodes: dict[str, Node]
    order: list[str]
    rules: dict[str, Any]  # file stem -> rule document, for templates
    variables: dict[str, Any]

    def children(self) -> dict[str, set[str]]:
        children: dict[str, set[str]] = {name: set() for name in self.nodes}
        for node in self.nodes.values():
            for parent in node.refs:
                children[parent].add(node.name)
        return children

    def descendants(self, name: str) -> set[str]:
        children = self.children()
        seen: set[str] = set()
        stack = [name]
        while stack:
            for child in children[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = [name]
        while stack:
            for parent in self.nodes[stack.pop()].refs:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def select(self, selectors: tuple[str, ...] | list[str]) -> list[str]:
        """Node names matching dbt-style selectors (``name``, ``name+``, ``+name``, ``+name+``), in DAG order."""
        if not selectors:
            return list(self.order)
        chosen: set[str] = set()
        for selector in selectors:
            upstream, downstream = selector.startswith("+"), selector.endswith("+")
            name = selector.strip("+")
            if name not in self.nodes:
                raise ModelError(
                    f"--select {selector}: no model, seed or rule table named '{name}'{did_you_mean(name, self.nodes)}"
                )
            chosen.add(name)
            if upstream:
                chosen |= self.ancestors(name)
            if downstream:
                chosen |= self.descendants(name)
        return [name for name in self.order if name in chosen]


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _add(nodes: dict[str, Node], node: Node, root: Path) -> None:
    if node.name in nodes:
        other = nodes[node.name]
        raise ModelError(
            f"two nodes are named '{node.name}': "
            f"{_display(other.path, root)} and {_display(node.path, root)}; rename one"
        )
    nodes[node.name] = node


def _read_schema_docs(models_dir: Path) -> dict[str, str]:
    """Model descriptions from ``schema.yml`` files beside the models."""
    docs: dict[str, str] = {}
    for path in sorted(models_dir.rglob("schema.yml")):
        document = read_yaml(path) or {}
        if not isinstance(document, dict) or not isinstance(document.get("models", []), list):
            raise ConfigError(f"{path}: expected a mapping with a 'models' list")
        for model in document.get("models", []):
            if not isinstance(model, dict) or "name" not in model:
                raise ConfigError(f"{path}: every entry under 'models' needs a 'name'")
            docs[model["name"]] = str(model.get("description", "")).strip()
    return docs


def load_manifest(transforms_dir: Path, variables: dict[str, Any]) -> Manifest:
    """Read every node under ``transforms_dir`` and order the DAG."""
    root = transforms_dir.parent
    models_dir = transforms_dir / "models"
    if not transforms_dir.is_dir():
        raise ModelError(f"{transforms_dir}: no transforms/ folder here (models/, seeds/, rules/ go in it)")
    model_files = sorted(models_dir.rglob("*.sql")) if models_dir.is_dir() else []
    if not model_files:
        raise ModelError(f"{_display(models_dir, root)}: no SQL models found (add transforms/models/<name>.sql)")

    nodes: dict[str, Node] = {}
    rules: dict[str, Any] = {}
    for path in sorted((transforms_dir / "rules").glob("*.yml")):
        document = load_rule_file(path, _display(path, root))
        rules[path.stem] = document
        if document.get("rules") is not None:
            _add(
                nodes,
                Node(
                    RULE_TABLE_PREFIX + path.stem,
                    "rules",
                    path,
                    payload=document,
                    description=str(document.get("description", "")).strip(),
                ),
                root,
            )
    for path in sorted((transforms_dir / "seeds").glob("*.csv")):
        validate_seed(path, _display(path, root))
        _add(nodes, Node(path.stem, "seed", path), root)

    docs = _read_schema_docs(models_dir)
    for path in model_files:
        template = path.read_text(encoding="utf-8")
        display = _display(path, root)
        _sql, capture = render(path, template, variables=variables, rules=rules, display=display)
        config = capture.config
        # a model that reads a rule file through Jinja depends on that file's rule table
        rule_tables = [RULE_TABLE_PREFIX + stem for stem in capture.rule_files if RULE_TABLE_PREFIX + stem in nodes]
        node = Node(
            name=path.stem,
            kind="model",
            path=path,
            refs=list(dict.fromkeys(capture.refs + rule_tables)),
            sources=list(dict.fromkeys(capture.sources)),
            materialized=config.get("materialized", "table"),
            unique_key=config.get("unique_key"),
            template=template,
            description=docs.get(path.stem, ""),
        )
        _add(nodes, node, root)

    for node in nodes.values():
        for ref in node.refs:
            if ref not in nodes:
                line = line_of(node.template, rf"ref\(\s*['\"]{re.escape(ref)}['\"]\s*\)")
                raise ModelError(
                    f"{_display(node.path, root)}:{line or '?'}: ref('{ref}') names no model, seed or rule table"
                    f"{did_you_mean(ref, nodes)}"
                )
    return Manifest(root, nodes, _order(nodes), rules, variables)


def _order(nodes: dict[str, Node]) -> list[str]:
    """Deterministic topological order (alphabetical among nodes that are ready together)."""
    sorter = graphlib.TopologicalSorter({name: set(node.refs) for name, node in nodes.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        raise ModelError(f"the models form a cycle: {' -> '.join(cycle)}; break it by removing one ref()") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order
