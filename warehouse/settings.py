"""The ``name``, ``warehouse``, ``paths`` and ``vars`` sections of riftlab.yaml, typed, with their defaults."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from warehouse.config import Seed, Settings, Text, refusal, unknown_key
from warehouse.errors import closest

NAME = (Text, "riftlab")


class Warehouse(Settings):
    """Where the DuckDB warehouse lives and how landing writes to it."""

    path: Text = "data/riftlab.duckdb"
    """DuckDB file, relative to the project directory; --db or RIFTLAB_DB override it."""
    demo_path: Text = "data/demo/riftlab.duckdb"
    """The offline demo's own warehouse (`riftlab run --demo`), relative to the project directory."""
    batch_rows: int = Field(500, ge=1)
    """Rows per batch when landing data (crawlers, augmentation)."""


class Paths(Settings):
    """Folders, relative to the project directory."""

    transforms: Text = "transforms"
    reports: Text = "reports"
    target: Text = "target"
    """dbt-style artefacts: manifest.json, run_results.json and compiled SQL (riftlab build, compile, test)."""

    @model_validator(mode="before")
    @classmethod
    def _runs_is_training_output_dir(cls, data: Any) -> Any:
        """``paths.runs`` was never read (training writes under ``training.output_dir``): say where it went."""
        if isinstance(data, dict) and "runs" in data:
            raise unknown_key("runs", "", "training runs go under training.output_dir; delete paths.runs")
        return data


#: How close (difflib ratio) a var of the user's may come to a built-in var's name before it is
#: taken for a typo of it.
TYPO_CUTOFF = 0.8


class Vars(Settings):
    """dbt-style variables for SQL models and expectations: ``{{ var('name') }}``.

    The built-in vars below are typed and range-checked.  Vars of your own are
    welcome under any name that is not a near-miss of a built-in one: an unknown
    var whose name is close to a built-in var's (``split_sed`` for ``split_seed``)
    is taken for a typo and refused, with the name it resembles.
    """

    model_config = ConfigDict(extra="allow")

    # splits: train/validation by champion group, by tokens
    split_seed: Seed = 42
    """Seed of the train/validation split."""
    validation_ratio: float = Field(0.2, gt=0, lt=1)
    """Share of tokens in the validation split."""
    split_tolerance: float = Field(0.05, ge=0, lt=1)
    """Checks: the validation share may differ from validation_ratio by this much."""
    heldout_champions: list[Text] = []
    """Champion keys reserved for embedding evaluation (absent from every triplet)..."""
    heldout_ratio: float = Field(0.25, ge=0, lt=1)
    """...or, when heldout_champions is empty, this share of champions picked by a stable hash."""
    chunk_tokenizer: Text = "minilm"
    """Tokenizer that counts chunk tokens: 'minilm', 'whitespace', a tokenizer.json or a model folder."""
    chunk_max_tokens: int = Field(200, ge=1)
    """Longest chunk, in tokens."""
    chunk_overlap_tokens: int = Field(32, ge=0)
    """Tokens shared by consecutive chunks (below chunk_max_tokens)."""
    chunk_min_tokens: int = Field(8, ge=1)
    """Shorter chunks are dropped (at most chunk_max_tokens)."""
    near_duplicate_threshold: float = Field(0.7, gt=0, le=1)
    """Documents whose MinHash similarity reaches this are near-duplicates (kept in one split)."""
    eval_queries_per_champion: int = Field(2, ge=0)
    """Chunks per champion reserved as evaluation queries (never read by a training stage)."""
    eval_query_min_tokens: int = Field(8, ge=1)
    """Shortest chunk that may be an evaluation query, in tokens."""
    mask_token: str = Field("this champion", min_length=1)
    """What champion names become in masked text: retrieval queries and the descriptions names are fitted to."""
    augment_card_tokens: int = Field(250, ge=1)
    """Tokens of grounding text per champion card."""
    augment_min_answer_tokens: int = Field(12, ge=0)
    """Rule-made instruction pairs need an answer chunk of at least this many tokens."""

    @model_validator(mode="before")
    @classmethod
    def _typos_are_not_new_vars(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    near = closest(key, list(cls.model_fields), cutoff=TYPO_CUTOFF)
                    if near:
                        raise unknown_key(
                            str(key), near, "a var of your own needs a name that is not a near-miss of a built-in var"
                        )
        return data

    @model_validator(mode="after")
    def _chunk_sizes_fit(self) -> Vars:
        if self.chunk_overlap_tokens >= self.chunk_max_tokens:
            raise refusal(
                f"below chunk_max_tokens ({self.chunk_max_tokens})", self.chunk_overlap_tokens, "chunk_overlap_tokens"
            )
        if self.chunk_min_tokens > self.chunk_max_tokens:
            raise refusal(
                f"chunk_max_tokens ({self.chunk_max_tokens}) or less", self.chunk_min_tokens, "chunk_min_tokens"
            )
        return self
