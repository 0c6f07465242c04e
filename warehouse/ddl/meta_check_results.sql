-- One row per expectation evaluated by `riftlab check` (or its `riftlab run` stage).
CREATE TABLE IF NOT EXISTS meta.check_results (
    check_run_id VARCHAR NOT NULL,      -- one id per `riftlab check` invocation
    table_name VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,       -- the expectation's name in its suite
    expectation_type VARCHAR NOT NULL,  -- GX type, or 'sql' for a riftlab SQL expectation
    blocking BOOLEAN NOT NULL,          -- gates publication in `riftlab build`
    success BOOLEAN NOT NULL,
    observed VARCHAR,                   -- observed value (row count, unexpected count ...)
    failing_count BIGINT,               -- failing rows (or unexpected values), NULL for table-level checks
    failing_sample JSON,                -- a few failing rows as a JSON list of objects
    suite_file VARCHAR,
    checked_at TIMESTAMP NOT NULL
);
