"""Pages that embed an Apollo-style normalised cache: ``window.__PRELOADED_STATE__ = {...}`` (mobalytics.gg).

The state holds, somewhere inside, a cache of objects keyed ``Typename:id`` (``LolChampionBuild:aatrox-top``),
each with its ``"__typename"``; objects point at each other with ``{"__ref": "Typename:id"}`` and the query
roots (``ROOT_QUERY``) hold the page's queries.  :func:`cache_of` finds that cache, :func:`resolve` follows
references (a cycle stays a reference), and :func:`objects` lists the cached objects with their keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

ASSIGNMENT = re.compile(r"window\.__PRELOADED_STATE__\s*=\s*")
#: cache keys of normalised objects: a GraphQL type name, a colon, an id
CACHE_KEY = re.compile(r"^[A-Z][A-Za-z0-9_]*:.+")
ROOTS = ("ROOT_QUERY", "ROOT_MUTATION", "ROOT_SUBSCRIPTION")
MAX_DEPTH = 12


class StateError(ValueError):
    """The assignment is there but its value is not JSON (a truncated page, a changed site)."""


def preloaded_state(scripts: list[str]) -> Any | None:
    """The value assigned to ``window.__PRELOADED_STATE__`` in one of ``scripts``; None when none assigns it."""
    decoder = json.JSONDecoder()
    for script in scripts:
        match = ASSIGNMENT.search(script)
        if match is None:
            continue
        try:
            value, _ = decoder.raw_decode(script, match.end())
        except json.JSONDecodeError as exc:
            raise StateError(f"invalid JSON in window.__PRELOADED_STATE__: {exc.msg} at column {exc.colno}") from None
        return value
    return None


def _is_cache(node: dict[str, Any]) -> bool:
    if any(root in node for root in ROOTS):
        return True
    keyed = [v for k, v in node.items() if CACHE_KEY.match(k)]
    return bool(keyed) and all(isinstance(v, dict) and "__typename" in v for v in keyed)


def cache_of(state: Any) -> dict[str, Any] | None:
    """The normalised cache inside ``state`` (breadth first: the outermost one), or None."""
    queue = [state]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            if _is_cache(node):
                return node
            queue.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            queue.extend(v for v in node if isinstance(v, dict | list))
    return None


def resolve(value: Any, cache: dict[str, Any], path: tuple[str, ...] = ()) -> Any:
    """``value`` with every ``{"__ref": key}`` replaced by the cached object, recursively.

    A reference back to an object already on the way (``champion -> builds -> champion``) stays a
    reference, as does one to a key the cache lacks, and nothing is followed deeper than MAX_DEPTH.
    """
    if isinstance(value, list):
        return [resolve(v, cache, path) for v in value]
    if not isinstance(value, dict):
        return value
    ref = value.get("__ref")
    if isinstance(ref, str) and len(value) == 1:
        if ref in path or ref not in cache or len(path) >= MAX_DEPTH:
            return value
        return resolve(cache[ref], cache, (*path, ref))
    return {k: resolve(v, cache, path) for k, v in value.items()}


def objects(cache: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(key, object)`` for every normalised object of the cache (query roots left out), in cache order."""
    for key, value in cache.items():
        if key not in ROOTS and CACHE_KEY.match(key) and isinstance(value, dict):
            yield key, value
