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
        # splits: train/validation by champion group, by tokens
        "split_seed": 42,
        "validation_ratio": 0.2,
        "split_tolerance": 0.05,  # checks: the validation share may differ from the ratio by this much
        # champions reserved for embedding evaluation (absent from every triplet): an explicit list
        # of champion keys, or, when the list is empty, this share picked by a stable hash
        "heldout_champions": [],
        "heldout_ratio": 0.25,
        # chunking: 'minilm', 'whitespace', a tokenizer.json or a model folder
        "chunk_tokenizer": "minilm",
        "chunk_max_tokens": 200,
        "chunk_overlap_tokens": 32,
        "chunk_min_tokens": 8,
        # documents whose MinHash similarity reaches this are near-duplicates (kept in one split)
        "near_duplicate_threshold": 0.7,
        # chunks reserved as evaluation queries (eval_query_chunks): never read by a training stage
        "eval_queries_per_champion": 2,
        "eval_query_min_tokens": 8,
    }
)
