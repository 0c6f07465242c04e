-- One row per model (or seed, or rule table) built by `riftlab build`.
CREATE TABLE IF NOT EXISTS meta.model_runs (
    run_id VARCHAR NOT NULL,          -- one id per `riftlab build` invocation
    model VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- model, seed, rules
    materialized VARCHAR,
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT,
    rows BIGINT,
    status VARCHAR NOT NULL,          -- success, error, skipped
    error VARCHAR,
    sql_hash VARCHAR
);
