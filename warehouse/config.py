"""Load and validate ``riftlab.yaml``, the project file (riftlab's ``dbt_project.yml``).

Each top-level section is owned by the package that reads it and declares its
defaults there (``SECTIONS`` maps a section to ``module:ATTRIBUTE``), so adding
a setting is one edit beside the code that uses it.  The user's file is merged
over those defaults; a key the defaults do not know is an error that names the
key and the file, with a suggestion when one is close.
"""

from __future__ import annotations

import copy
import difflib
import importlib
from pathlib import Path
from typing import Any

import yaml

from warehouse.errors import ConfigError

CONFIG_FILE = "riftlab.yaml"

#: section name -> "module:ATTRIBUTE" holding that section's defaults.
SECTIONS: dict[str, str] = {
    "name": "warehouse.settings:NAME",
    "warehouse": "warehouse.settings:WAREHOUSE",
    "paths": "warehouse.settings:PATHS",
    "vars": "warehouse.settings:VARS",
    "sources": "crawlers.settings_schema:SOURCES",
    "schedules": "crawlers.settings_schema:SCHEDULES",
    "crawl": "crawlers.settings_schema:CRAWL",
    "checks": "warehouse.checks.settings:CHECKS",
    "augment": "warehouse.augment.settings:AUGMENT",
    "training": "training.settings:TRAINING",
    "evaluation": "evaluation.settings:EVALUATION",
}


class FreeForm(dict):
    """A defaults mapping whose keys are the user's to choose (dbt-style ``vars``).

    Keys present here are defaults; any other key is accepted as given.
    """


def _load_defaults(section: str) -> Any:
    module_name, _, attribute = SECTIONS[section].partition(":")
    return copy.deepcopy(getattr(importlib.import_module(module_name), attribute))


def defaults() -> dict[str, Any]:
    return {section: _load_defaults(section) for section in SECTIONS}


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def merge_settings(default: Any, given: Any, path: str, source: Path) -> Any:
    """Merge ``given`` over ``default``, checking keys and value types (errors name ``source``)."""
    if isinstance(default, FreeForm):
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: '{path}' must be a mapping, got {type(given).__name__}")
        merged = FreeForm(default)
        merged.update(given)
        return merged
    if isinstance(default, dict):
        if given is None:
            return default
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: '{path}' must be a mapping, got {type(given).__name__}")
        merged = dict(default)
        for key, value in given.items():
            dotted = f"{path}.{key}" if path else str(key)
            if key not in default:
                raise ConfigError(
                    f"{source}: unknown key '{dotted}'{_suggest(str(key), list(default))}; "
                    f"known keys here: {', '.join(sorted(map(str, default))) or '(none)'}"
                )
            merged[key] = merge_settings(default[key], value, dotted, source)
        return merged
    if default is None or given is None:
        return given
    if isinstance(default, bool) != isinstance(given, bool):
        raise ConfigError(f"{source}: '{path}' must be true or false, got {given!r}")
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if not isinstance(given, (int, float)) or isinstance(given, bool):
            raise ConfigError(f"{source}: '{path}' must be a number, got {given!r}")
        return given
    if isinstance(default, list) and not isinstance(given, list):
        raise ConfigError(f"{source}: '{path}' must be a list, got {given!r}")
    if isinstance(default, str) and not isinstance(given, str):
        raise ConfigError(f"{source}: '{path}' must be text, got {given!r}")
    return given


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
    """Read ``path`` and return the validated configuration merged over defaults."""
    given = read_yaml(path)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return merge_settings(defaults(), given, "", path)
