"""Defaults for the sections of riftlab.yaml that the warehouse package reads."""

from warehouse.config import FreeForm

NAME = "riftlab"

WAREHOUSE = {
    # DuckDB file, relative to the project directory; --db or RIFTLAB_DB override it.
    "path": "data/riftlab.duckdb",
    # Rows per batch when landing data (crawlers, augmentation).
    "batch_rows": 500,
}

PATHS = {
    "transforms": "transforms",
    "reports": "reports",
    "runs": "runs",
}

# dbt-style variables for SQL models: {{ var('name') }}.  Users add their own.
VARS = FreeForm(
    {
        "split_seed": 42,
        "validation_ratio": 0.2,
    }
)
