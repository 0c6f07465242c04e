"""Reading a model's answer: the JSON object a task asked for, checked against its shape.

A shape is a small declaration: ``str`` (non-empty text), ``bool``, ``list``
(any list), ``[shape]`` (a non-empty list of that shape) or ``{"key": shape, "key?": shape}`` (an
object; a trailing ``?`` marks an optional key).  Anything else raises
:class:`MalformedAnswer` with a reason short enough to put in a repair prompt.
"""

from __future__ import annotations

import json
import re
from typing import Any

from augment.errors import MalformedAnswer

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def extract_json(text: str | None) -> Any:
    """The JSON object in ``text``: the whole answer, a fenced block, or the outermost ``{...}``."""
    if not text or not text.strip():
        raise MalformedAnswer("the answer is empty")
    candidate = text.strip()
    fenced = _FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1)
    try:
        return json.loads(candidate)
    except json.JSONDecodeError:
        pass
    start, end = candidate.find("{"), candidate.rfind("}")
    if start == -1 or end <= start:
        raise MalformedAnswer("the answer contains no JSON object")
    try:
        return json.loads(candidate[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"the JSON object does not parse: {exc.msg} at character {exc.pos}") from None


def check(value: Any, shape: Any, path: str = "answer") -> Any:
    """``value`` if it has ``shape``; otherwise raise :class:`MalformedAnswer` naming the path."""
    if shape is str:
        if not isinstance(value, str) or not value.strip():
            raise MalformedAnswer(f"{path} must be non-empty text")
        return value
    if shape is bool:
        if not isinstance(value, bool):
            raise MalformedAnswer(f"{path} must be true or false")
        return value
    if shape is list:
        if not isinstance(value, list):
            raise MalformedAnswer(f"{path} must be a list")
        return value
    if isinstance(shape, list):
        if not isinstance(value, list) or not value:
            raise MalformedAnswer(f"{path} must be a non-empty list")
        return [check(item, shape[0], f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise MalformedAnswer(f"{path} must be a JSON object")
        for key, sub in shape.items():
            name = key.rstrip("?")
            if name not in value:
                if key.endswith("?"):
                    continue
                raise MalformedAnswer(f"{path} lacks the key '{name}'")
            check(value[name], sub, f"{path}.{name}")
        return value
    raise TypeError(f"unknown shape {shape!r}")


def parse(text: str | None, shape: Any) -> Any:
    return check(extract_json(text), shape)
