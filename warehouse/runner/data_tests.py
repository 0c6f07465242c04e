"""dbt data tests: the generic tests of properties files and the singular tests of ``transforms/tests/``.

A generic test entry is a name or a one-key mapping of the name to its arguments and config::

    - not_null
    - accepted_values:
        values: [placed, shipped]          # or under arguments: (dbt 1.10)
        config: {severity: warn, where: "order_date > '2024-01-01'", tags: [nightly]}
    - relationships: {to: ref('customers'), field: id, name: orders_have_customers}

A singular test is ``transforms/tests/<name>.sql``, a query returning the failing rows, rendered like
a model (``ref``, ``var``, ``config(severity='warn', tags=[...])``).  Both become checks of
:mod:`warehouse.checks.engine` (see :mod:`warehouse.checks.schema_tests`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from warehouse.errors import ConfigError, ModelError, did_you_mean
from warehouse.runner.folder_config import tag_list
from warehouse.runner.nodes import DEFAULT_PACKAGE, GENERIC_TESTS, SEVERITIES, DataTest
from warehouse.runner.properties import TestEntry
from warehouse.runner.rendering import render

TESTS_DIR = "tests"
#: configs a test takes (in ``config:``, or beside its arguments as dbt's older syntax allows)
TEST_CONFIGS = ("severity", "where", "tags", "enabled", "meta")
#: dbt test configs riftlab refuses rather than ignores (ignoring them would change a test's verdict)
UNSUPPORTED_CONFIGS = ("error_if", "warn_if", "limit", "fail_calc", "store_failures", "store_failures_as")
_ARGUMENTS = {
    "unique": ((), ("column_name",)),
    "not_null": ((), ("column_name",)),
    "accepted_values": (("values",), ("column_name", "quote")),
    "relationships": (("to", "field"), ("column_name",)),
}
_REF = re.compile(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$""")
_UNSAFE = re.compile(r"[^0-9a-zA-Z_]+")
_MAX_NAME = 64


def test_config(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Check a test's configs; returns them with ``severity`` lower-cased and ``tags`` a list."""
    for key in values:
        if key in UNSUPPORTED_CONFIGS:
            raise ConfigError(
                f"{where}: riftlab does not support the test config '{key}'; it takes {', '.join(TEST_CONFIGS)}"
            )
        if key not in TEST_CONFIGS:
            raise ConfigError(
                f"{where}: unknown test config '{key}'{did_you_mean(key, list(TEST_CONFIGS))}; "
                f"tests take {', '.join(TEST_CONFIGS)}"
            )
    config = dict(values)
    severity = str(config.get("severity", "error")).lower()
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}: severity {config['severity']!r} must be error or warn")
    config["severity"] = severity
    if config.get("where") is not None and not isinstance(config["where"], str):
        raise ConfigError(f"{where}: 'where' must be a SQL condition (text), got {config['where']!r}")
    if not isinstance(config.get("enabled", True), bool):
        raise ConfigError(f"{where}: 'enabled' must be true or false")
    tags = config.get("tags")
    if tags is not None and not (
        isinstance(tags, str) or (isinstance(tags, list) and all(isinstance(t, str) for t in tags))
    ):
        raise ConfigError(f"{where}: 'tags' must be a tag or a list of tags, got {tags!r}")
    config["tags"] = tag_list(tags)
    return config


def _clean(value: Any) -> str:
    return _UNSAFE.sub("_", str(value))


def generic_name(test_name: str, model: str, arguments: dict[str, Any]) -> str:
    """dbt's name of a generic test: ``not_null_orders_order_id``, ``accepted_values_orders_status__a__b``."""
    flat: list[str] = []
    for key in sorted(arguments):
        value = arguments[key]
        if isinstance(value, dict):
            flat.extend(_clean(v) for v in value.values())
        elif isinstance(value, list):
            flat.extend(_clean(v) for v in value)
        else:
            flat.append(_clean(value))
    identifier = f"{test_name}_{model}"
    name = f"{identifier}_{'__'.join(flat)}"
    if len(name) < _MAX_NAME:
        return name
    return f"{identifier[:30]}_{hashlib.md5(name.encode('utf-8')).hexdigest()}"  # dbt's short form


def generic_test(item: TestEntry, attached_to: str, path: Path, package: str = DEFAULT_PACKAGE) -> DataTest:
    """The :class:`DataTest` of one ``data_tests:`` entry of model (or seed) ``attached_to``."""
    entry, where = item.entry, item.where
    if isinstance(entry, str):
        test_name, body = entry, {}
    elif isinstance(entry, dict) and len(entry) == 1:
        test_name, body = next(iter(entry.items()))
        body = body if body is not None else {}
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: the arguments of '{test_name}' must be a mapping, got {body!r}")
    else:
        raise ConfigError(f"{where}: a test is a name (not_null) or a mapping of one name to its arguments")
    if test_name not in GENERIC_TESTS:
        raise ConfigError(
            f"{where}: '{test_name}' is not a generic test riftlab runs{did_you_mean(test_name, list(GENERIC_TESTS))}; "
            f"use {', '.join(GENERIC_TESTS)}, or write a singular test in transforms/tests/<name>.sql"
        )
    body = dict(body)
    custom_name = body.pop("name", None)
    description = body.pop("description", None) or ""
    config_values = dict(body.pop("config", None) or {})
    arguments = dict(body.pop("arguments", None) or {})
    for key in list(body):  # dbt's older syntax: configs and arguments side by side
        if key in TEST_CONFIGS or key in UNSUPPORTED_CONFIGS:
            config_values[key] = body.pop(key)
    arguments.update(body)
    required, optional = _ARGUMENTS[test_name]
    unknown = sorted(set(arguments) - set(required) - set(optional))
    if unknown:
        raise ConfigError(
            f"{where}: {test_name} takes no argument '{unknown[0]}'"
            f"{did_you_mean(unknown[0], [*required, *optional, *TEST_CONFIGS])}; "
            f"it takes {', '.join([*required, *optional]) or 'none'} and config {', '.join(TEST_CONFIGS)}"
        )
    missing = [key for key in required if key not in arguments]
    if missing:
        raise ConfigError(f"{where}: {test_name} needs '{missing[0]}'")
    column = arguments.pop("column_name", None) or item.column
    if not isinstance(column, str):
        raise ConfigError(f"{where}: {test_name} needs a column: declare it under a column, or give column_name")
    config = test_config(config_values, where)
    depends_on = [attached_to]
    if test_name == "accepted_values":
        values = arguments["values"]
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: accepted_values 'values' must be a non-empty list")
        if arguments.get("quote", True) is not True:
            raise ConfigError(
                f"{where}: accepted_values quote: false is not supported; write numbers unquoted in values"
            )
    if test_name == "relationships":
        match = _REF.match(str(arguments["to"]))
        if not match:
            raise ConfigError(f"{where}: relationships 'to' must be ref('model'), got {arguments['to']!r}")
        if not isinstance(arguments["field"], str):
            raise ConfigError(f"{where}: relationships 'field' must be a column name")
        arguments["to_node"] = match.group(1)
        depends_on.append(match.group(1))
    name_arguments = {"column_name": column, **{k: v for k, v in arguments.items() if k != "to_node"}}
    name = custom_name or generic_name(test_name, attached_to, name_arguments)
    return DataTest(
        name=str(name),
        test_type="generic",
        test_name=test_name,
        path=path,
        depends_on=list(dict.fromkeys(depends_on)),
        attached_to=attached_to,
        column=column,
        kwargs=arguments,
        severity=config["severity"],
        where=config.get("where"),
        tags=list(dict.fromkeys([*item.tags, *config["tags"]])),
        config=config,
        description=str(description).strip(),
        package=package,
    )


def singular_tests(
    transforms_dir: Path, root: Path, variables: dict[str, Any], rules: dict[str, Any], package: str = DEFAULT_PACKAGE
) -> list[DataTest]:
    """Every ``transforms/tests/**/*.sql``: a query returning the failing rows."""
    folder = transforms_dir / TESTS_DIR
    tests: list[DataTest] = []
    for path in sorted(folder.rglob("*.sql")) if folder.is_dir() else []:
        try:
            display = str(path.relative_to(root))
        except ValueError:
            display = str(path)
        template = path.read_text(encoding="utf-8")
        _sql, capture = _render_test(path, template, variables, rules, display)
        config = test_config({k: v for k, v in capture.config.items() if k != "materialized"}, display)
        if config.get("where"):
            raise ConfigError(f"{display}: 'where' applies to generic tests; put the condition in the test's SQL")
        refs = list(dict.fromkeys(capture.refs))
        if not refs:
            raise ModelError(f"{display}: a singular test must read at least one model with ref('...')")
        tests.append(
            DataTest(
                name=path.stem,
                test_type="singular",
                test_name=path.stem,
                path=path,
                depends_on=refs,
                attached_to=refs[0] if len(refs) == 1 else None,
                severity=config["severity"],
                tags=config["tags"],
                config=config,
                template=template,
                package=package,
            )
        )
    return tests


def _render_test(path: Path, template: str, variables: dict[str, Any], rules: dict[str, Any], display: str):
    from warehouse.runner.nodes import relation

    return render(path, template, variables=variables, rules=rules, resolve_ref=relation, display=display)
