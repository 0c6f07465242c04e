"""Great Expectations Data Docs for ``riftlab check``: GX validates the checked batches and renders the site.

GX reads DuckDB tables as pandas DataFrames: one ephemeral Data Context per check run and one
DataFrame asset per batch: the table (its column expectations), a list column's elements (``unnest:
true``) and each SQL expectation's failing rows (``expect_table_row_count_to_equal: 0``).  The engine
decides every outcome; GX's results only feed the site, and tests/checks/test_agreement.py shows the
two agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from warehouse.checks.engine import Context, render_sql
from warehouse.checks.results import Outcome
from warehouse.checks.suites import Expectation, Suite
from warehouse.errors import ConfigError
from warehouse.sql_literals import quote_identifier

SITE_NAME = "riftlab"


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def class_name(type_: str) -> str:
    """``expect_column_values_to_be_unique`` -> ``ExpectColumnValuesToBeUnique``."""
    return "".join(part.capitalize() for part in type_.split("_"))


def gx_expectation(suite: Suite, expectation: Expectation):
    """The GX expectation object of a suite entry (SQL entries: zero failing rows)."""
    gx = _gx()
    meta = {"riftlab_name": expectation.name, "blocking": expectation.blocking}
    notes = expectation.description or None
    if expectation.is_sql:
        if expectation.description:
            notes = f"{expectation.description}\n\nFailing rows of:\n```sql\n{expectation.sql.strip()}\n```"
        return gx.expectations.ExpectTableRowCountToEqual(value=0, meta=meta, notes=notes)
    cls = getattr(gx.expectations, class_name(expectation.type))  # every type of engine.TYPES is GX's
    try:
        return cls(**expectation.kwargs, meta=meta, notes=notes)
    except Exception as exc:  # pydantic validation of kwargs
        first = str(exc).strip().splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) or first[0]
        raise ConfigError(
            f"{suite.display}: expectation '{expectation.name}' has bad kwargs for {expectation.type}: {detail}"
        ) from None


class DataDocs:
    """One check run's GX Data Context: validate batches into it, then render the site into ``folder``."""

    def __init__(self, folder: Path):
        gx = _gx()
        from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars={"globally": False, "metric_calculations": False},
        )
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.folder = folder
        self.datasource = self.context.data_sources.add_pandas("riftlab")

    def validate(self, suite: Suite, batch_name: str, frame, expectations: list[Expectation]):
        """Validate ``frame`` (a pandas DataFrame) as the asset ``batch_name``; GX's suite validation result."""
        gx = self.gx
        asset = self.datasource.add_dataframe_asset(batch_name)
        batch = asset.add_batch_definition_whole_dataframe("whole table")
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=batch_name))
        for expectation in expectations:
            gx_suite.add_expectation(gx_expectation(suite, expectation))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=batch_name, data=batch, suite=gx_suite)
        )
        result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"})
        self._name_asset(batch_name, f"main.{suite.table}")
        return result

    def _name_asset(self, batch_name: str, asset: str) -> None:
        """Give the stored result of ``batch_name`` its table as data asset (GX's pages say "Data asset: None"
        for a DataFrame batch otherwise)."""
        store = self.context.validation_results_store
        for key in store.list_keys():
            if key.expectation_suite_identifier.name == batch_name:
                stored = store.get(key)
                stored.meta["batch_spec"] = {**(stored.meta.get("batch_spec") or {}), "data_asset_name": asset}
                store.set(key, stored)

    def record(
        self, con: duckdb.DuckDBPyConnection, suite: Suite, relation: str, outcomes: list[Outcome], context: Context
    ) -> dict[str, Any]:
        """Validate the suite's batches read from ``relation``; GX's result of each expectation, by name."""
        results = {}
        for name, frame, expectations in _batches(con, suite, relation, outcomes, context):
            for result in self.validate(suite, name, frame, expectations).results:
                results[result.expectation_config.meta["riftlab_name"]] = result
        return results

    def build(self) -> Path:
        """Render the site from this run's results, replacing the previous site atomically.

        The site is rendered into a sibling folder and swapped in, so a check that is interrupted
        or fails while writing (a full disk) leaves the previous site whole.
        """
        from warehouse.reports.html import write_folder

        def render(folder: Path) -> None:
            self.context.add_data_docs_site(
                SITE_NAME,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            self.context.build_data_docs(site_names=[SITE_NAME])

        write_folder(self.folder, render, "Data Docs")
        return self.folder / "index.html"


def _batches(
    con: duckdb.DuckDBPyConnection, suite: Suite, relation: str, outcomes: list[Outcome], context: Context
) -> Iterator[tuple[str, Any, list[Expectation]]]:
    """(asset name, DataFrame, expectations) of each batch: the table's columns, a list column's elements,
    a SQL expectation's failing rows.  Missing list columns and SQL that could not run are left out."""
    existing = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    values = [e for e in suite.expectations if not e.is_sql and not e.unnest]
    if values:
        wanted = [c for e in values for c in e.columns() if c in existing]
        columns = ", ".join(quote_identifier(c) for c in dict.fromkeys(wanted)) or "1 AS __row"
        yield suite.table, con.execute(f"SELECT {columns} FROM {relation}").df(), values
    elements: dict[str, list[Expectation]] = {}
    for expectation in suite.expectations:
        if expectation.unnest and expectation.column in existing:
            elements.setdefault(str(expectation.column), []).append(expectation)
    for column, expectations in elements.items():
        name = quote_identifier(column)
        frame = con.execute(f"SELECT unnest({name}) AS {name} FROM {relation}").df()
        yield f"{suite.table}.{column}[*]", frame, expectations
    for outcome in outcomes:
        if outcome.expectation.is_sql and outcome.error is None:
            frame = con.execute(render_sql(suite, outcome.expectation, relation, context)).df()
            yield f"{suite.table}.{outcome.expectation.name}", frame, [outcome.expectation]
