"""Discover models, seeds and rule files under ``transforms/`` and order them as a DAG.

The DAG comes from ``ref()`` calls (and seeds/rule tables, which are refs too);
``graphlib`` orders it.  A cycle names the cycle; an unknown ref names the file
and line; two nodes with one name name both files.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.errors import ConfigError, ModelError, did_you_mean
from warehouse.runner.data_tests import generic_test, singular_tests
from warehouse.runner.folder_config import RESERVED_SCHEMAS, resolve, unknown_folders
from warehouse.runner.nodes import DEFAULT_PACKAGE, DEFAULT_SCHEMA, MATERIALIZATIONS, DataTest, Node
from warehouse.runner.properties import read_properties
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
    tests: dict[str, DataTest] = field(default_factory=dict)  # data tests by name
    disabled: dict[str, Node] = field(default_factory=dict)  # models with enabled: false
    package: str = DEFAULT_PACKAGE
    transforms: Path | None = None

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

    @property
    def transforms_dir(self) -> Path:
        return self.transforms or self.root / "transforms"

    def graph(self):
        """The selection graph: nodes, tests and the sources models read (:mod:`warehouse.runner.selectors`)."""
        from warehouse.runner.selectors import graph_of

        return graph_of(self)

    def selected_ids(
        self, selectors=(), exclude=(), state: dict[str, Any] | None = None, *, indirect: bool = True
    ) -> set[str]:
        """Unique ids of the nodes, tests and sources dbt-style ``selectors`` name, less ``exclude``."""
        from warehouse.runner.selectors import select

        return select(self.graph(), selectors, exclude, state, indirect=indirect)

    def select(self, selectors=(), exclude=(), state: dict[str, Any] | None = None) -> list[str]:
        """Names of the nodes to build (models, seeds, rule tables) that ``selectors`` name, in DAG order."""
        if not selectors and not exclude:
            return list(self.order)
        chosen = self.selected_ids(selectors, exclude, state)
        return [name for name in self.order if self.nodes[name].unique_id in chosen]

    def select_tests(self, selectors=(), exclude=(), state: dict[str, Any] | None = None) -> list[str]:
        """Names of the data tests ``selectors`` name (directly, or through a node they read), in DAG order."""
        chosen = self.selected_ids(selectors, exclude, state)
        return [name for name in self.test_order() if self.tests[name].unique_id in chosen]

    def test_order(self) -> list[str]:
        """Tests ordered by the last node each reads, then by name."""
        position = {name: index for index, name in enumerate(self.order)}
        return sorted(self.tests, key=lambda t: (max(position[n] for n in self.tests[t].depends_on), t))


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


def _config_of(node_path: Path, models_dir: Path, models_config: dict[str, Any] | None, *later: dict[str, Any]):
    """A model's resolved configuration (riftlab.yaml folders < schema.yml config: < config())."""
    folders = list(node_path.relative_to(models_dir).parent.parts)
    return resolve(models_config, folders, *later)


def _schema(config: dict[str, Any], where: str) -> str:
    schema = config.get("schema") or DEFAULT_SCHEMA
    if not isinstance(schema, str) or not schema.isidentifier():
        raise ModelError(f"{where}: schema {schema!r} must be a plain name (letters, digits, _)")
    if schema in RESERVED_SCHEMAS:
        raise ModelError(f"{where}: schema '{schema}' is riftlab's own; publish models in main or a schema of your own")
    return schema


def _check_folders(models_config: dict[str, Any] | None, model_files: list[Path], models_dir: Path) -> None:
    existing: set[tuple[str, ...]] = set()
    for path in model_files:
        parts = path.relative_to(models_dir).parent.parts
        existing.update(parts[:i] for i in range(1, len(parts) + 1))
    missing = unknown_folders(models_config, existing)
    if missing:
        known = sorted("/".join(p) for p in existing)
        raise ConfigError(
            f"riftlab.yaml: models.{missing[0].replace('/', '.')} configures transforms/models/{missing[0]}/, "
            f"which holds no model{did_you_mean(missing[0], known)}"
        )


def load_manifest(
    transforms_dir: Path,
    variables: dict[str, Any],
    *,
    models_config: dict[str, Any] | None = None,
    package: str = DEFAULT_PACKAGE,
) -> Manifest:
    """Read every node and test under ``transforms_dir`` and order the DAG.

    ``models_config`` is riftlab.yaml's ``models`` section (configuration by folder); ``package``
    the project's name in unique ids (``model.<package>.<name>``).
    """
    root = transforms_dir.parent
    models_dir = transforms_dir / "models"
    if not transforms_dir.is_dir():
        raise ModelError(f"{transforms_dir}: no transforms/ folder here (models/, seeds/, rules/ go in it)")
    model_files = sorted(models_dir.rglob("*.sql")) if models_dir.is_dir() else []
    if not model_files:
        raise ModelError(f"{_display(models_dir, root)}: no SQL models found (add transforms/models/<name>.sql)")
    _check_folders(models_config, model_files, models_dir)

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
                    package=package,
                ),
                root,
            )
    properties = read_properties(transforms_dir, root)
    for path in sorted((transforms_dir / "seeds").glob("*.csv")):
        validate_seed(path, _display(path, root))
        described = properties.get(("seeds", path.stem))
        config = resolve(None, [], described.config) if described else {"tags": []}
        _add(
            nodes,
            Node(
                path.stem,
                "seed",
                path,
                description=described.description if described else "",
                tags=config["tags"],
                config=config,
                columns=described.columns if described else {},
                properties_path=described.path if described else None,
                package=package,
            ),
            root,
        )

    disabled: dict[str, Node] = {}
    for path in model_files:
        template = path.read_text(encoding="utf-8")
        display = _display(path, root)
        _sql, capture = render(path, template, variables=variables, rules=rules, display=display)
        described = properties.get(("models", path.stem))
        config = _config_of(path, models_dir, models_config, described.config if described else {}, capture.config)
        materialized = config.get("materialized", "table")
        if materialized not in MATERIALIZATIONS:
            raise ModelError(f"{display}: materialized='{materialized}' is not one of {', '.join(MATERIALIZATIONS)}")
        # a model that reads a rule file through Jinja depends on that file's rule table
        rule_tables = [RULE_TABLE_PREFIX + stem for stem in capture.rule_files if RULE_TABLE_PREFIX + stem in nodes]
        node = Node(
            name=path.stem,
            kind="model",
            path=path,
            refs=list(dict.fromkeys(capture.refs + rule_tables)),
            sources=list(dict.fromkeys(capture.sources)),
            materialized=materialized,
            unique_key=config.get("unique_key"),
            template=template,
            description=described.description if described else "",
            schema=_schema(config, display),
            tags=config["tags"],
            config=config,
            columns=described.columns if described else {},
            properties_path=described.path if described else None,
            package=package,
        )
        if config.get("enabled", True) is False:
            disabled[node.name] = node
            continue
        _add(nodes, node, root)

    for node in nodes.values():
        for ref in node.refs:
            if ref not in nodes:
                line = line_of(node.template, rf"ref\(\s*['\"]{re.escape(ref)}['\"]\s*\)")
                why = " is disabled (enabled: false)" if ref in disabled else " names no model, seed or rule table"
                raise ModelError(
                    f"{_display(node.path, root)}:{line or '?'}: ref('{ref}'){why}"
                    f"{'' if ref in disabled else did_you_mean(ref, nodes)}"
                )
    for (section, name), described in properties.items():
        kinds = ("model",) if section == "models" else ("seed",)
        if name not in disabled and (name not in nodes or nodes[name].kind not in kinds):
            raise ConfigError(
                f"{described.display}: {section[:-1]} '{name}' is described but there is no such {section[:-1]}"
                f"{did_you_mean(name, [n for n, v in nodes.items() if v.kind in kinds])}"
            )
    tests = _tests(transforms_dir, root, variables, rules, properties, nodes, disabled, package)
    return Manifest(root, nodes, _order(nodes), rules, variables, tests, disabled, package, transforms_dir)


def _tests(
    transforms_dir: Path,
    root: Path,
    variables: dict[str, Any],
    rules: dict[str, Any],
    properties: dict,
    nodes: dict[str, Node],
    disabled: dict[str, Node],
    package: str,
) -> dict[str, DataTest]:
    """Every enabled data test, by name; a test of a disabled model is disabled with it."""
    found: list[tuple[DataTest, str]] = []
    for (_section, name), described in properties.items():
        if name in disabled:
            continue
        for item in described.tests:
            found.append((generic_test(item, name, described.path, package), item.where))
    for test in singular_tests(transforms_dir, root, variables, rules, package):
        found.append((test, test.display_path(root)))
    tests: dict[str, DataTest] = {}
    for test, where in found:
        if test.config.get("enabled", True) is False or any(n in disabled for n in test.depends_on):
            continue
        for parent in test.depends_on:
            if parent not in nodes:
                raise ModelError(
                    f"{where}: ref('{parent}') names no model, seed or rule table{did_you_mean(parent, nodes)}"
                )
        if test.name in tests or test.name in nodes:
            other = tests[test.name].display_path(root) if test.name in tests else nodes[test.name].display_path(root)
            raise ConfigError(
                f"{where}: a test named '{test.name}' is already declared in {other}; give one a distinct 'name'"
            )
        tests[test.name] = test
    return tests


def load_project_manifest(project: Any) -> Manifest:
    """The manifest of a :class:`~warehouse.project.Project`: its vars, folder configuration and name."""
    return load_manifest(
        project.transforms_dir,
        dict(project.config["vars"]),
        models_config=project.config.get("models"),
        package=str(project.config.get("name") or DEFAULT_PACKAGE),
    )


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
