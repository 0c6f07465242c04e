"""dbt's node selection syntax, for ``build``, ``ls``, ``test``, ``check``, ``seed``, ``compile`` and ``show``.

One ``--select`` value is a union of space-separated terms; a term is an intersection of comma-separated
atoms; an atom is a criterion with optional graph operators::

    champions            a node (or test) by name; shell wildcards work: stg_*
    staging              every node under a folder of transforms/models/ (dbt's fqn)
    +champions  2+champions   with all ancestors / ancestors up to 2 generations
    champions+  champions+1   with all descendants / children only
    @champions           with its descendants and all their ancestors
    tag:nightly  path:models/staging  file:orders.sql  fqn:staging.stg_orders
    config.materialized:view  config.schema:marts  config.severity:warn
    source:raw  source:raw.documents   resource_type:model|seed|rules|test|source
    test_type:generic|singular  test_name:not_null
    state:modified  state:new  state:modified.body  state:modified.configs   (against --state DIR)

``--exclude`` takes the same grammar and is removed last.  Tests are selected indirectly, as dbt's
``eager`` mode does: a test comes with any node it reads, and goes with any excluded one.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.errors import ConfigError, ModelError, did_you_mean
from warehouse.runner.nodes import DataTest, Node

if TYPE_CHECKING:
    from warehouse.runner.manifest import Manifest

RESOURCE_TYPES = ("model", "seed", "rules", "test", "source")
METHODS = (
    "tag", "path", "file", "fqn", "config", "source", "resource_type", "test_type", "test_name", "state",
)  # fmt: skip
STATES = ("modified", "new", "modified.body", "modified.configs", "unmodified", "old")
_ATOM = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<body>[^+@]+?)(?:\+(?P<down>\d*))?$")


@dataclass
class Source:
    """A table a model reads with ``source('schema', 'table')`` (riftlab does not build it)."""

    schema: str
    table: str
    package: str

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def unique_id(self) -> str:
        return f"source.{self.package}.{self.schema}.{self.table}"


Item = Node | DataTest | Source


@dataclass
class Graph:
    """Every node, test and source by unique id, with edges both ways."""

    items: dict[str, Item]
    parents: dict[str, set[str]]
    children: dict[str, set[str]] = field(default_factory=dict)
    root: Path = Path(".")
    transforms_dir: Path = Path(".")

    def __post_init__(self) -> None:
        self.children = {uid: set() for uid in self.items}
        for uid, parents in self.parents.items():
            for parent in parents:
                self.children[parent].add(uid)

    def walk(self, start: Iterable[str], edges: dict[str, set[str]], depth: int | None) -> set[str]:
        """Everything reached from ``start`` along ``edges`` within ``depth`` steps (None: any), ``start`` excluded."""
        seen: set[str] = set()
        frontier = set(start)
        step = 0
        while frontier and (depth is None or step < depth):
            frontier = {n for uid in frontier for n in edges[uid]} - seen
            seen |= frontier
            step += 1
        return seen


def graph_of(manifest: Manifest) -> Graph:
    items: dict[str, Item] = {}
    parents: dict[str, set[str]] = {}
    by_name = {name: node.unique_id for name, node in manifest.nodes.items()}
    for node in manifest.nodes.values():
        items[node.unique_id] = node
        parents[node.unique_id] = {by_name[r] for r in node.refs}
        for schema, table in node.sources:
            source = Source(schema, table, manifest.package)
            items.setdefault(source.unique_id, source)
            parents.setdefault(source.unique_id, set())
            parents[node.unique_id].add(source.unique_id)
    for test in manifest.tests.values():
        items[test.unique_id] = test
        parents[test.unique_id] = {by_name[n] for n in test.depends_on}
    return Graph(items, parents, root=manifest.root, transforms_dir=manifest.transforms_dir)


# -- criteria ----------------------------------------------------------------------------------------
def _matches(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _fqn(item: Item, graph: Graph) -> list[str]:
    if isinstance(item, Node) and item.kind == "model":
        folders = list(item.path.relative_to(graph.transforms_dir / "models").parent.parts)
        return [item.package, *folders, item.name]
    if isinstance(item, Source):
        return [item.package, item.schema, item.table]
    return [item.package, item.name]


def _relative_paths(path: Path, graph: Graph) -> list[str]:
    paths = []
    for base in (graph.transforms_dir, graph.root):
        try:
            paths.append(path.relative_to(base).as_posix())
        except ValueError:
            pass
    return paths


def _path_matches(item: Item, value: str, graph: Graph) -> bool:
    if isinstance(item, Source):
        return False
    value = value.rstrip("/")
    for relative in _relative_paths(item.path, graph):
        if _matches(relative, value) or relative.startswith(value + "/") or _matches(relative, value + "/*"):
            return True
    return False


def _config_matches(item: Item, key: str, value: str) -> bool:
    if isinstance(item, Source):
        return False
    config = dict(item.config)
    if isinstance(item, Node):
        config.setdefault("materialized", item.materialized if item.kind == "model" else item.kind)
        config.setdefault("schema", item.schema)
    if isinstance(item, DataTest):
        config.setdefault("severity", item.severity)
    found = config.get(key)
    if isinstance(found, list):
        return any(_matches(str(v), value) for v in found)
    if isinstance(found, bool):
        return str(found).lower() == value.lower()
    return found is not None and _matches(str(found), value)


def _state_matches(item: Item, value: str, previous: dict[str, Any]) -> bool:
    old = previous.get(item.unique_id)
    if value in ("new", "old"):
        return (old is None) == (value == "new")
    if old is None:
        return value in ("modified", "modified.body", "modified.configs")
    from warehouse.runner.artifacts import checksum_of, config_of

    body = old.get("checksum", {}).get("checksum") != checksum_of(item)
    configs = old.get("config") != json.loads(json.dumps(config_of(item), default=str))
    changed = {"modified": body or configs, "modified.body": body, "modified.configs": configs}
    if value == "unmodified":
        return not (body or configs)
    return changed[value]


def _criterion(graph: Graph, method: str | None, value: str, atom: str, state: dict[str, Any] | None) -> set[str]:
    items = graph.items
    if method is None:
        found = {uid for uid, item in items.items() if not isinstance(item, Source) and _matches(item.name, value)}
        if not found and "/" in value:
            found = {uid for uid, item in items.items() if _path_matches(item, value, graph)}
        if not found:  # a folder name, or a dotted fqn
            found = _criterion(graph, "fqn", value, atom, state)
        if not found:
            names = [i.name for i in items.values() if not isinstance(i, Source)]
            raise ModelError(
                f"--select {atom}: no model, seed, rule table, test or folder named '{value}'"
                f"{did_you_mean(value, names)}"
            )
        return found
    if method == "tag":
        return {uid for uid, i in items.items() if any(_matches(t, value) for t in getattr(i, "tags", []))}
    if method == "path":
        return {uid for uid, i in items.items() if _path_matches(i, value, graph)}
    if method == "file":
        return {
            uid
            for uid, i in items.items()
            if not isinstance(i, Source) and (_matches(i.path.name, value) or _matches(i.path.stem, value))
        }
    if method == "fqn":
        parts = value.split(".")
        found = set()
        for uid, item in items.items():
            fqn = _fqn(item, graph)
            for candidate in (fqn, fqn[1:]):
                if len(parts) <= len(candidate) and all(_matches(c, p) for c, p in zip(candidate, parts, strict=False)):
                    found.add(uid)
        return found
    if method.startswith("config."):
        key = method.removeprefix("config.")
        return {uid for uid, i in items.items() if _config_matches(i, key, value)}
    if method == "source":
        return {
            uid
            for uid, i in items.items()
            if isinstance(i, Source) and (_matches(i.schema, value) or _matches(i.name, value))
        }
    if method == "resource_type":
        if value not in RESOURCE_TYPES:
            raise ModelError(
                f"--select {atom}: resource type '{value}' is not one of {', '.join(RESOURCE_TYPES)}"
                f"{did_you_mean(value, list(RESOURCE_TYPES))}"
            )
        return {uid for uid, i in items.items() if _resource_type(i) == value}
    if method == "test_type":
        wanted = {"data": "singular", "schema": "generic"}.get(value, value)
        return {uid for uid, i in items.items() if isinstance(i, DataTest) and i.test_type == wanted}
    if method == "test_name":
        return {uid for uid, i in items.items() if isinstance(i, DataTest) and _matches(i.test_name, value)}
    if method == "state":
        if value not in STATES:
            raise ModelError(f"--select {atom}: state:{value} is not one of {', '.join('state:' + s for s in STATES)}")
        if state is None:
            raise ModelError(f"--select {atom}: state: needs --state DIR, a folder with a saved manifest.json")
        return {uid for uid, i in items.items() if not isinstance(i, Source) and _state_matches(i, value, state)}
    raise ModelError(
        f"--select {atom}: unknown method '{method}'{did_you_mean(method, list(METHODS))}; "
        f"methods: {', '.join(METHODS)}, config.KEY"
    )


def _resource_type(item: Item) -> str:
    if isinstance(item, Source):
        return "source"
    return item.resource_type


def _atom(graph: Graph, atom: str, state: dict[str, Any] | None) -> set[str]:
    match = _ATOM.match(atom)
    if not match:
        raise ModelError(
            f"--select {atom}: not a selector; write name, +name, 2+name, name+1, @name or method:value (tag:nightly)"
        )
    body = match["body"]
    if match["at"] and (match["up"] is not None or match["down"] is not None):
        raise ModelError(f"--select {atom}: @ takes no other graph operator (write @{body})")
    method, _, value = body.partition(":") if ":" in body else (None, "", body)
    if method is not None and not value:
        raise ModelError(f"--select {atom}: '{method}:' needs a value")
    chosen = _criterion(graph, method, value, atom, state)
    if method not in (None, "state") and not chosen:
        raise ModelError(f"--select {atom}: matches nothing{_known_values(graph, method)}")
    result = set(chosen)
    if match["up"] is not None:
        result |= graph.walk(chosen, graph.parents, int(match["up"]) if match["up"] else None)
    if match["down"] is not None:
        result |= graph.walk(chosen, graph.children, int(match["down"]) if match["down"] else None)
    if match["at"]:
        descendants = chosen | graph.walk(chosen, graph.children, None)
        result |= descendants | graph.walk(descendants, graph.parents, None)
    return result


def _known_values(graph: Graph, method: str | None) -> str:
    if method == "tag":
        tags = sorted({t for i in graph.items.values() for t in getattr(i, "tags", [])})
        return f" (tags: {', '.join(tags) or 'none'})"
    if method == "source":
        sources = sorted(i.name for i in graph.items.values() if isinstance(i, Source))
        return f" (sources: {', '.join(sources) or 'none'})"
    return ""


def resolve(graph: Graph, values: Iterable[str], state: dict[str, Any] | None = None) -> set[str]:
    """The unique ids ``--select`` (or ``--exclude``) values name: a union of terms, each an intersection of atoms."""
    chosen: set[str] = set()
    for value in values:
        for term in value.split():
            atoms = [a for a in term.split(",") if a]
            if not atoms:
                continue
            found = _atom(graph, atoms[0], state)
            for atom in atoms[1:]:
                found &= _atom(graph, atom, state)
            chosen |= found
    return chosen


def select(
    graph: Graph,
    selectors: Iterable[str] = (),
    exclude: Iterable[str] = (),
    state: dict[str, Any] | None = None,
    *,
    indirect: bool = True,
) -> set[str]:
    """The unique ids ``selectors`` minus ``exclude`` name (everything when ``selectors`` is empty);
    ``indirect``: with every test that reads a selected node, without those reading an excluded one."""
    selectors, exclude = [s for s in selectors if s.strip()], [e for e in exclude if e.strip()]
    chosen = resolve(graph, selectors, state) if selectors else set(graph.items)
    dropped = resolve(graph, exclude, state) if exclude else set()
    if indirect:
        for uid, item in graph.items.items():
            if isinstance(item, DataTest):
                if graph.parents[uid] & chosen:
                    chosen.add(uid)
                if graph.parents[uid] & dropped:
                    dropped.add(uid)
    return chosen - dropped


def load_state(folder: str | Path) -> dict[str, Any]:
    """The nodes of a saved ``manifest.json`` (``--state DIR``) by unique id."""
    path = Path(folder) / "manifest.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"--state {folder}: no manifest.json there; copy target/ of the build to compare against"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--state {folder}: manifest.json is not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), dict):
        raise ConfigError(f"--state {folder}: manifest.json has no 'nodes' mapping; is it a riftlab or dbt manifest?")
    return document["nodes"]
