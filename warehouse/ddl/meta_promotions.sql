-- Every `riftlab promote` decision; the latest row with status 'current' names the current model.
CREATE TABLE IF NOT EXISTS meta.promotions (
    promotion_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,           -- the candidate considered (best by the primary metric)
    run_id VARCHAR,
    previous_model VARCHAR,           -- the current model before this decision (NULL if none)
    primary_metric VARCHAR NOT NULL,  -- TASK:SPLIT:METRIC
    value DOUBLE,
    previous_value DOUBLE,
    promoted BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,          -- current (promoted), rejected, unchanged
    reasons VARCHAR NOT NULL,         -- why, one sentence per check, '; ' separated
    decided_at TIMESTAMP NOT NULL
);
-- Columns added since: ALTERs, so a warehouse made before them gains them at its next writable connect.
-- stage: what was promoted: embed (the embedder, primary_metric a task's), or a language-model stage
-- (clm, sft, dpo, export), each with its own current model.  NULL in rows written before: embed.
ALTER TABLE meta.promotions ADD COLUMN IF NOT EXISTS stage VARCHAR;
