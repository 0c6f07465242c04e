"""Load and validate ``riftlab.yaml``, the project file (riftlab's ``dbt_project.yml``).

Each top-level section is a typed pydantic model owned by the package that reads it (``SECTIONS``
maps a section to ``module:ATTRIBUTE``), so a new setting is one edit beside the code that uses it.
The first unknown key or bad value is one line (:class:`ConfigError`) naming the file, the key, the
value and what is allowed, with a suggestion when one is close.  Callers get a plain dict of every
setting, defaults filled in.
"""

from __future__ import annotations

import copy
import functools
import importlib
from pathlib import Path
from typing import Annotated, Any, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic_core import PydanticCustomError

from warehouse.errors import ConfigError, did_you_mean

CONFIG_FILE = "riftlab.yaml"

#: section name -> "module:ATTRIBUTE": a :class:`Settings` model (a mapping section) or an
#: ``(annotated type, default)`` pair (a scalar section such as ``name``).
SECTIONS: dict[str, str] = {
    "name": "warehouse.settings:NAME",
    "warehouse": "warehouse.settings:Warehouse",
    "paths": "warehouse.settings:Paths",
    "vars": "warehouse.settings:Vars",
    "sources": "crawlers.settings_schema:Sources",
    "schedules": "crawlers.settings_schema:Schedules",
    "crawl": "crawlers.settings_schema:Crawl",
    "checks": "warehouse.checks.settings:Checks",
    "models": "warehouse.runner.folder_config:Models",
    "augment": "augment.settings:Augment",
    "training": "training.settings:Training",
    "evaluation": "evaluation.settings:Evaluation",
}

#: Non-empty text (paths, names, URLs).
Text = Annotated[str, Field(min_length=1)]
#: A random seed numpy, torch and Python all accept.
Seed = Annotated[int, Field(ge=0, lt=2**32)]

# pydantic error types that mean "the right type, outside the allowed range"
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_LENGTH_ERRORS = {"too_short", "too_long", "string_too_short", "string_too_long"}


class Settings(BaseModel):
    """Base of every settings model: unknown keys are errors, values are never coerced.

    Strict mode keeps ``"0.2"`` a string (refused where a number is due) and ``true``
    a boolean; a number without a fraction is still accepted where a float is due.
    A mapping given as null (``checks:`` with nothing under it) means its defaults.
    Defaults are validated too, so a default outside its own range fails at once.
    """

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _null_mapping_means_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        mappings = {name for name, field in cls.model_fields.items() if _is_mapping(field.annotation)}
        return {key: value for key, value in data.items() if not (value is None and key in mappings)}


def _is_mapping(annotation: Any) -> bool:
    if get_origin(annotation) is dict:
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def refusal(allowed: str, value: Any, key: str | None = None) -> PydanticCustomError:
    """An error for a validator to raise: ``value`` is not ``allowed`` (``key``: the field, from a model validator)."""
    return PydanticCustomError("refused", "must be {allowed}", {"allowed": allowed, "value": value, "key": key})


def unknown_key(key: str, suggestion: str, rule: str) -> PydanticCustomError:
    """An error for a validator to raise: ``key`` is not allowed here; ``rule`` says which names are."""
    return PydanticCustomError("unknown_key", "unknown key", {"key": key, "suggestion": suggestion, "rule": rule})


def over_defaults(defaults: dict[str, Any]) -> BeforeValidator:
    """Merge a user's mapping over ``defaults`` (keys are the user's to choose, e.g. model prices)."""

    def merge(value: Any) -> Any:
        return {**copy.deepcopy(defaults), **value} if isinstance(value, dict) else value

    return BeforeValidator(merge)


# -- turning a ValidationError into one line ---------------------------------------------------------
def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Schema:
    """A model's JSON Schema, walked by an error's location to say what is allowed there."""

    def __init__(self, schema: dict[str, Any]):
        self.root = schema
        self.defs = schema.get("$defs", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in node:
                node = {**self.defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
            elif len(node.get("allOf", [])) == 1:
                node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
            else:
                return node

    def _not_null(self, node: dict[str, Any]) -> dict[str, Any]:
        options = [self.resolve(n) for n in node.get("anyOf", []) if n.get("type") != "null"]
        return options[0] if len(options) == 1 else node

    def at(self, loc: list[Any]) -> dict[str, Any]:
        """The schema node at ``loc`` ({} where the schema says nothing, e.g. a user's own var)."""
        node = self.resolve(self.root)
        for part in loc:
            node = self._not_null(self.resolve(node))
            if isinstance(part, int) and "items" in node:
                node = node["items"]
            elif part in node.get("properties", {}):
                node = node["properties"][part]
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]
            else:
                return {}
        return self.resolve(node)

    def bounds(self, node: dict[str, Any]) -> str:
        node = self._not_null(node)
        words = {
            "minimum": "{} or more",
            "exclusiveMinimum": "above {}",
            "maximum": "{} or less",
            "exclusiveMaximum": "below {}",
        }
        return " and ".join(text.format(_number(node[key])) for key, text in words.items() if key in node)

    @staticmethod
    def nullable(node: dict[str, Any]) -> bool:
        return any(n.get("type") == "null" for n in node.get("anyOf", []))

    def choices(self, node: dict[str, Any]) -> list[Any]:
        node = self._not_null(node)
        if "enum" in node:
            return list(node["enum"])
        return [node["const"]] if "const" in node else []

    def describe(self, node: dict[str, Any]) -> str:
        """What ``node`` allows, in words: 'a number (integer, 1 or more)', 'one of duckdb, parquet'..."""
        node = self.resolve(node)
        if "anyOf" in node:
            options = [self.describe(n) for n in node["anyOf"] if n.get("type") != "null"]
            return " or ".join(options) + (" or null" if self.nullable(node) else "")
        if self.choices(node):
            return "one of " + ", ".join(map(str, self.choices(node)))
        kind, bounds = node.get("type"), self.bounds(node)
        if kind == "integer":
            return f"a number (integer{', ' + bounds if bounds else ''})"
        if kind == "number":
            return f"a number ({bounds})" if bounds else "a number"
        if kind == "boolean":
            return "true or false"
        if kind == "string":
            return "non-empty text" if node.get("minLength") else "text"
        if kind == "array":
            least = f" of at least {node['minItems']} item(s)" if node.get("minItems") else ""
            return f"a list{least} (each item {self.describe(node.get('items', {}))})"
        if kind == "object":
            return "a mapping"
        return "a valid value"


@functools.cache
def _schema_of(model: type[BaseModel]) -> _Schema:
    return _Schema(model.model_json_schema())


def explain(error: dict[str, Any], model: type[BaseModel], source: Path | str) -> str:
    """One line for a pydantic error: the file, the key (dotted), the value and what is allowed."""
    schema = _schema_of(model)
    kind, ctx, loc = error["type"], error.get("ctx") or {}, list(error["loc"])
    if kind == "invalid_key" or loc[-1:] == ["[key]"]:  # a YAML key read as a number or a boolean
        parent = loc[:-2] if loc[-1:] == ["[key]"] else loc[:-1]
        return (
            f"{source}: key {_show(error['input'])} under {_dotted(parent) or 'the top level'} must be text (quote it)"
        )
    if ctx.get("key") is not None:
        loc.append(ctx["key"])
    if kind == "extra_forbidden":
        known = list(schema.at(loc[:-1]).get("properties", {}))
        hint = did_you_mean(loc[-1], known) or f"; known keys here: {', '.join(sorted(known))}"
        return f"{source}: unknown key '{_dotted(loc)}'{hint}"
    if kind == "unknown_key":
        hint = f" (did you mean '{ctx['suggestion']}'?)" if ctx.get("suggestion") else ""
        return f"{source}: unknown key '{_dotted(loc)}'{hint}; {ctx['rule']}"
    return f"{source}: {_bad_value(schema, kind, ctx, loc, error)}"


def _bad_value(schema: _Schema, kind: str, ctx: dict[str, Any], loc: list[Any], error: dict[str, Any]) -> str:
    """'KEY must be ALLOWED, got VALUE' (or 'KEY VALUE is not one of ...') for a value of the wrong type or range."""
    dotted, node = _dotted(loc), schema.at(loc)
    value = _show(ctx.get("value", error.get("input")))
    choices = schema.choices(node)
    if kind == "refused":
        return f"{dotted} must be {ctx['allowed']}, got {value}"
    if kind == "missing":
        return f"'{dotted}' is missing; it must be {schema.describe(node)}"
    if choices and kind in ("literal_error", "enum"):
        listed = ", ".join(map(str, choices)) + (", or null" if schema.nullable(node) else "")
        return f"{dotted} {value} is not one of {listed}{did_you_mean(error.get('input'), choices)}"
    if kind in _RANGE_ERRORS and schema.bounds(node):
        return f"{dotted} must be {schema.bounds(node)}, got {value}"
    if kind in _LENGTH_ERRORS:
        return f"{dotted} must be {schema.describe(node)}, got {value}"
    if not node:
        return f"'{dotted}': {error['msg']}, got {value}"
    return f"'{dotted}' must be {schema.describe(node)}, got {value}"


def validate(model: type[BaseModel], data: Any, source: Path | str) -> dict[str, Any]:
    """``data`` checked against ``model``, as a plain dict with every default; errors are one line naming ``source``."""
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as exc:
        raise ConfigError(explain(exc.errors(include_url=False)[0], model, source)) from None


# -- the project file -------------------------------------------------------------------------------
def _section_field(section: str) -> tuple[Any, Any]:
    module_name, _, attribute = SECTIONS[section].partition(":")
    declared = getattr(importlib.import_module(module_name), attribute)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared, Field(default_factory=declared)
    return declared


@functools.cache
def project_model() -> type[Settings]:
    """The model of the whole of ``riftlab.yaml``: one field per section of ``SECTIONS``."""
    fields = {section: _section_field(section) for section in SECTIONS}
    return create_model("RiftlabConfig", __base__=Settings, __doc__="riftlab.yaml, the riftlab project file.", **fields)


def defaults() -> dict[str, Any]:
    """Every setting at its default (what an empty ``riftlab.yaml`` gives)."""
    return project_model()().model_dump()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``riftlab.yaml`` (for editors: yaml-language-server and the like)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **project_model().model_json_schema()}


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into one line naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: invalid YAML: {problem}") from None


def load_config(path: Path) -> dict[str, Any]:
    """Read ``path`` and return the validated configuration, every default filled in."""
    given = read_yaml(path)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return validate(project_model(), given, path)
