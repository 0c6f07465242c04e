"""SQL literals and identifiers for text spliced into SQL (models, expectations, generated queries)."""

from __future__ import annotations

from typing import Any


def quote_identifier(name: str) -> str:
    """A double-quoted identifier, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def string_literal(value: Any) -> str:
    """A SQL string literal of ``str(value)``."""
    return "'" + str(value).replace("'", "''") + "'"


def literal(value: Any) -> str:
    """A SQL literal of the value's own type: NULL, TRUE/FALSE, a number or a string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return string_literal(value)


def list_literal(values: Any) -> str:
    """A SQL list of strings; an empty one is typed (``[]::VARCHAR[]``) so list functions accept it."""
    values = list(values or [])
    return "[" + ", ".join(string_literal(v) for v in values) + "]" if values else "[]::VARCHAR[]"
