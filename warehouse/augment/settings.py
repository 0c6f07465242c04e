"""Defaults for the ``augment`` section of riftlab.yaml.

Prices are US dollars per million tokens (Anthropic's list prices); a model
missing here cannot be costed, so it cannot be used (add it under
``augment.prices`` in riftlab.yaml).  ``budget_usd`` caps what one
``riftlab augment`` invocation may spend: each request reserves its worst case
(its input estimate plus ``max_tokens`` of output) before it is sent, so a run
stops *before* it would exceed the budget, never after.
"""

from warehouse.config import FreeForm

AUGMENT = {
    # Default model; `riftlab augment --model M` overrides it for one run.
    "model": "claude-sonnet-4-5",
    # $ per million tokens.  cache_write/cache_read are multipliers of the input price
    # (prompt caching of the shared system part); batch_discount applies to the Batches API.
    "prices": FreeForm(
        {
            "claude-sonnet-4-5": {"input": 3.0, "output": 15.0},
            "claude-sonnet-4": {"input": 3.0, "output": 15.0},
            "claude-haiku-4-5": {"input": 1.0, "output": 5.0},
            "claude-3-5-haiku-latest": {"input": 0.8, "output": 4.0},
            "claude-opus-4-5": {"input": 5.0, "output": 25.0},
            "claude-opus-4-1": {"input": 15.0, "output": 75.0},
        }
    ),
    "cache_write_multiplier": 1.25,
    "cache_read_multiplier": 0.1,
    "batch_discount": 0.5,
    # Dollars one invocation may spend (interactive or batch); 0 disables the cap.
    "budget_usd": 5.0,
    # Interactive mode: requests in flight at once, and the SDK's retries (with backoff,
    # honouring retry-after) on 408/409/429/529/5xx and connection errors.
    "concurrency": 4,
    "max_retries": 4,
    "timeout_s": 120.0,
    # Batch mode: seconds between polls of a batch, and how long one invocation waits
    # for it before handing back (the batch id is kept; rerun the command to resume).
    "batch_poll_interval_s": 30.0,
    "batch_wait_s": 3600.0,
    # Output cap per request, per task (also the worst case the budget reserves).
    "max_tokens": FreeForm(
        {
            "default": 1500,
            "paraphrase": 3000,
            "self-instruct-judge-entities": 300,
            "self-instruct-judge-source": 800,
        }
    ),
    # Expected answer length per task, for --dry-run estimates only (paraphrases: as long as the source).
    "expected_output_tokens": FreeForm(
        {
            "default": 500,
            "self-instruct": 700,
            "self-instruct-judge-entities": 60,
            "self-instruct-judge-source": 200,
        }
    ),
    # Tokens of grounding text (chunks) given with one request; rough count: 4 characters a token.
    "grounding_tokens": 3000,
    # Paraphrase: a document up to this many tokens goes in one request; longer ones by chunk windows.
    "paraphrase_max_tokens": 2500,
    # Sources whose chunks ground the `matchups` task (besides sections named like matchups/counters).
    "matchup_sources": ["coaching"],
    # Tasks `riftlab run` performs when ANTHROPIC_API_KEY is set (each within the budget).
    "run_tasks": ["paraphrase", "champion-cards", "matchups", "roles", "instruct-factual", "instruct-strategic",
                  "instruct-role", "self-instruct"],
    # Question/answer pairs asked for per request of the instruct-* tasks.
    "pairs_per_request": 4,
    # self-instruct: how many samples, the seed, and the clipped-Gaussian sample size in tokens
    # per source ("default" for a source not listed): mean, sd, min, max.
    "self_instruct": {
        "samples": 200,
        "seed": 13,
        "chunk_tokens": FreeForm(
            {
                "default": {"mean": 600, "sd": 200, "min": 200, "max": 1200},
                "wiki": {"mean": 700, "sd": 250, "min": 250, "max": 1400},
                "coaching": {"mean": 900, "sd": 300, "min": 300, "max": 1600},
                "forum": {"mean": 400, "sd": 150, "min": 150, "max": 800},
            }
        ),
        "styles": ["technical", "non-technical"],
        "lengths": ["lengthy", "concise", "neutral"],
    },
}
