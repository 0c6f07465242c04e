"""The ``augment`` section of riftlab.yaml, typed, with its defaults.

Prices are US dollars per million tokens (Anthropic's list prices); a model
missing here cannot be costed, so it cannot be used (add it under
``augment.prices`` in riftlab.yaml).  ``budget_usd`` caps what one
``riftlab augment`` invocation may spend: each request reserves its worst case
(its input estimate plus ``max_tokens`` of output) before it is sent, so a run
stops *before* it would exceed the budget, never after.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from warehouse.config import Seed, Settings, Text, over_defaults, refusal

#: Tasks `riftlab augment` knows (augment/tasks: TASKS), named without importing them.
TASK_NAMES = (
    "paraphrase",
    "champion-cards",
    "matchups",
    "roles",
    "instruct-factual",
    "instruct-strategic",
    "instruct-role",
    "self-instruct",
    "preference-judge",
)
#: Sources whose chunks may ground a task (the spiders' names).
SOURCE_NAMES = ("meraki", "ddragon", "wiki", "coaching", "forum")

Task = Literal[TASK_NAMES]  # type: ignore[valid-type]
Tokens = Annotated[int, Field(ge=1)]


class Price(Settings):
    """Dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class ChunkTokens(Settings):
    """A clipped-Gaussian sample size in tokens: mean, sd, min, max."""

    mean: int = Field(ge=1)
    sd: float = Field(ge=0)
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _min_below_max(self) -> ChunkTokens:
        if self.min > self.max:
            raise refusal(f"max ({self.max}) or less", self.min, "min")
        return self


PRICES = {
    "claude-sonnet-4-5": {"input": 3.0, "output": 15.0},
    "claude-sonnet-4": {"input": 3.0, "output": 15.0},
    "claude-haiku-4-5": {"input": 1.0, "output": 5.0},
    "claude-3-5-haiku-latest": {"input": 0.8, "output": 4.0},
    "claude-opus-4-5": {"input": 5.0, "output": 25.0},
    "claude-opus-4-1": {"input": 15.0, "output": 75.0},
}
MAX_TOKENS = {
    "default": 1500,
    "paraphrase": 3000,
    "self-instruct-judge-entities": 300,
    "self-instruct-judge-source": 800,
}
EXPECTED_OUTPUT_TOKENS = {
    "default": 500,
    "self-instruct": 700,
    "self-instruct-judge-entities": 60,
    "self-instruct-judge-source": 200,
}
CHUNK_TOKENS = {
    "default": {"mean": 600, "sd": 200, "min": 200, "max": 1200},
    "wiki": {"mean": 700, "sd": 250, "min": 250, "max": 1400},
    "coaching": {"mean": 900, "sd": 300, "min": 300, "max": 1600},
    "forum": {"mean": 400, "sd": 150, "min": 150, "max": 800},
}


class SelfInstruct(Settings):
    """self-instruct: how many samples, the seed, and the sample size in tokens per source."""

    samples: int = Field(200, ge=0)
    seed: Seed = 13
    chunk_tokens: Annotated[dict[Text, ChunkTokens], over_defaults(CHUNK_TOKENS)] = CHUNK_TOKENS
    """Per source ("default" for a source not listed); yours are merged over these."""
    styles: list[Text] = Field(["technical", "non-technical"], min_length=1)
    lengths: list[Text] = Field(["lengthy", "concise", "neutral"], min_length=1)


class Augment(Settings):
    """The Anthropic API: model, prices, budget, concurrency and task sizes."""

    model: Text = "claude-sonnet-4-5"
    """Default model (it needs a price); `riftlab augment --model M` overrides it for one run."""
    prices: Annotated[dict[Text, Price], over_defaults(PRICES)] = PRICES
    """$ per million tokens per model; yours are merged over these."""
    cache_write_multiplier: float = Field(1.25, ge=0)
    """Prompt-cache writes cost the input price times this."""
    cache_read_multiplier: float = Field(0.1, ge=0)
    """Prompt-cache reads cost the input price times this."""
    batch_discount: float = Field(0.5, gt=0, le=1)
    """The Batches API costs the price times this."""
    budget_usd: float = Field(5.0, ge=0)
    """Dollars one invocation may spend (interactive or batch); 0 disables the cap."""
    concurrency: int = Field(4, ge=1)
    """Interactive mode: requests in flight at once."""
    max_retries: int = Field(4, ge=0)
    """The SDK's retries (with backoff, honouring retry-after) on 408/409/429/529/5xx and connection errors."""
    timeout_s: float = Field(120.0, gt=0)
    batch_poll_interval_s: float = Field(30.0, gt=0)
    """Batch mode: seconds between polls of a batch."""
    batch_wait_s: float = Field(3600.0, ge=0)
    """Batch mode: how long one invocation waits before handing back (rerun the command to resume)."""
    max_tokens: Annotated[dict[Text, Tokens], over_defaults(MAX_TOKENS)] = MAX_TOKENS
    """Output cap per request, per task (also the worst case the budget reserves)."""
    expected_output_tokens: Annotated[dict[Text, Tokens], over_defaults(EXPECTED_OUTPUT_TOKENS)] = (
        EXPECTED_OUTPUT_TOKENS
    )
    """Expected answer length per task, for --dry-run estimates only."""
    grounding_tokens: int = Field(3000, ge=1)
    """Tokens of grounding text (chunks) given with one request; rough count: 4 characters a token."""
    paraphrase_max_tokens: int = Field(2500, ge=1)
    """Paraphrase: a document up to this many tokens goes in one request; longer ones by chunk windows."""
    matchup_sources: list[Literal[SOURCE_NAMES]] = ["coaching"]  # type: ignore[valid-type]
    """Sources whose chunks ground the `matchups` task (besides sections named like matchups/counters)."""
    run_tasks: list[Task] = list(TASK_NAMES)
    """Tasks `riftlab run` performs when ANTHROPIC_API_KEY is set (each within the budget)."""
    pairs_per_request: int = Field(4, ge=1)
    """Question/answer pairs asked for per request of the instruct-* tasks."""
    self_instruct: SelfInstruct = SelfInstruct()

    @model_validator(mode="after")
    def _model_has_a_price(self) -> Augment:
        if self.model not in self.prices:
            raise refusal(
                f"a model priced under augment.prices ({', '.join(sorted(self.prices))})", self.model, "model"
            )
        return self


AUGMENT = Augment().model_dump()
