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
