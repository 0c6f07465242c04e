"""Great Expectations 1.x, used the way it works with DuckDB: on pandas DataFrames.

One ephemeral Data Context per check run, one pandas datasource, and one
DataFrame asset per *batch*: the table itself (its column expectations), the
elements of a list column (``unnest: true`` expectations), and the failing rows
of each riftlab SQL expectation (validated with
``expect_table_row_count_to_equal: 0``, so SQL checks appear in GX results and
Data Docs beside the others).  Results are stored in the context's in-memory
store, from which :meth:`GXSession.build_data_docs` renders the HTML site.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.checks.suites import Expectation, Suite
from warehouse.errors import ConfigError

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
    cls = getattr(gx.expectations, class_name(expectation.type), None)
    if cls is None:
        raise ConfigError(
            f"{suite.display}: expectation '{expectation.name}': {expectation.type} is not a Great Expectations "
            f"{gx.__version__} expectation type"
        )
    try:
        return cls(**expectation.kwargs, meta=meta, notes=notes)
    except Exception as exc:  # pydantic validation of kwargs
        first = str(exc).strip().splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) or first[0]
        raise ConfigError(
            f"{suite.display}: expectation '{expectation.name}' has bad kwargs for {expectation.type}: {detail}"
        ) from None


@dataclass
class GXResult:
    """What GX said about one expectation."""

    expectation: Expectation
    success: bool
    observed: str | None
    unexpected_count: int | None
    partial_unexpected: list[Any]
    error: str | None


def _observed(result: dict[str, Any]) -> tuple[str | None, int | None]:
    if "unexpected_count" in result and result["unexpected_count"] is not None:
        count = int(result["unexpected_count"])
        percent = result.get("unexpected_percent")
        share = f" ({percent:.2f}%)" if isinstance(percent, (int, float)) else ""
        return f"{count} unexpected{share}", count
    if "observed_value" in result:
        return str(result["observed_value"]), None
    return None, None


class GXSession:
    """An ephemeral GX Data Context for one check run, optionally with a Data Docs site."""

    def __init__(self, docs_dir: Path | None = None):
        gx = _gx()
        from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars={"globally": False, "metric_calculations": False},
        )
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.docs_dir = docs_dir
        self.datasource = self.context.data_sources.add_pandas("riftlab")

    def validate(self, suite: Suite, batch_name: str, frame, expectations: list[Expectation]) -> list[GXResult]:
        """Validate ``frame`` (a pandas DataFrame) against ``expectations`` as the asset ``batch_name``."""
        gx = self.gx
        asset = self.datasource.add_dataframe_asset(batch_name)
        batch = asset.add_batch_definition_whole_dataframe("whole table")
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=batch_name))
        by_name = {e.name: e for e in expectations}
        for expectation in expectations:
            gx_suite.add_expectation(gx_expectation(suite, expectation))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=batch_name, data=batch, suite=gx_suite)
        )
        validation = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"})
        results = []
        for item in validation.results:
            expectation = by_name[item.expectation_config.meta["riftlab_name"]]
            info = item.exception_info or {}
            error = None
            if info.get("raised_exception"):
                message = str(info.get("exception_message") or "unknown error").strip().splitlines() or [
                    "unknown error"
                ]
                error = f"GX could not evaluate it: {message[0]}"
            result = item.result or {}
            observed, count = _observed(result)
            results.append(
                GXResult(
                    expectation=expectation,
                    success=bool(item.success),
                    observed=observed,
                    unexpected_count=count,
                    partial_unexpected=list(result.get("partial_unexpected_list") or []),
                    error=error,
                )
            )
        return results

    def build_data_docs(self) -> Path | None:
        """Render the Data Docs site from this run's results, replacing the previous site atomically.

        The site is rendered into a sibling folder and swapped in, so a check that is interrupted
        or fails while writing (a full disk) leaves the previous site whole.
        """
        if self.docs_dir is None:
            return None
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

        write_folder(self.docs_dir, render, "Data Docs")
        return self.docs_dir / "index.html"
