"""A layered drawing of the DAG as inline SVG: one column per depth, edges as curves, nodes as links."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.runner.manifest import Manifest

NODE_WIDTH, NODE_HEIGHT = 190, 26
COLUMN_GAP, ROW_GAP, MARGIN = 70, 10, 10


@dataclass
class Box:
    name: str
    kind: str
    x: int
    y: int
    status: str | None  # the last build's status, None when never built


@dataclass
class Edge:
    parent: str
    child: str
    path: str  # SVG path data


@dataclass
class Drawing:
    width: int
    height: int
    boxes: list[Box]
    edges: list[Edge]


def depths(manifest: Manifest) -> dict[str, int]:
    """Longest distance of each node from a node without parents (DAG order makes one pass enough)."""
    depth: dict[str, int] = {}
    for name in manifest.order:
        parents = manifest.nodes[name].refs
        depth[name] = 1 + max((depth[p] for p in parents), default=-1)
    return depth


def draw(manifest: Manifest, statuses: dict[str, str]) -> Drawing:
    depth = depths(manifest)
    columns: dict[int, list[str]] = {}
    for name in manifest.order:
        columns.setdefault(depth[name], []).append(name)
    row_of: dict[str, float] = {}
    for level in sorted(columns):  # each node near its parents' mean row: fewer crossing edges
        names = columns[level]
        if level:
            names.sort(key=lambda n: sum(row_of[p] for p in manifest.nodes[n].refs) / len(manifest.nodes[n].refs))
        row_of.update({name: row for row, name in enumerate(names)})
    boxes: dict[str, Box] = {}
    for level, names in columns.items():
        for row, name in enumerate(names):
            x = MARGIN + level * (NODE_WIDTH + COLUMN_GAP)
            y = MARGIN + row * (NODE_HEIGHT + ROW_GAP)
            boxes[name] = Box(name, manifest.nodes[name].kind, x, y, statuses.get(name))
    edges = []
    for name in manifest.order:
        child = boxes[name]
        for parent_name in manifest.nodes[name].refs:
            parent = boxes[parent_name]
            x1, y1 = parent.x + NODE_WIDTH, parent.y + NODE_HEIGHT // 2
            x2, y2 = child.x, child.y + NODE_HEIGHT // 2
            bend = (x2 - x1) // 2
            edges.append(Edge(parent_name, name, f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"))
    width = MARGIN * 2 + (max(columns, default=0) + 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP
    height = MARGIN * 2 + max((len(n) for n in columns.values()), default=0) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    return Drawing(width, height, list(boxes.values()), edges)
