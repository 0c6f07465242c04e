-- One row per crawl (`riftlab crawl SPIDER`).
CREATE TABLE IF NOT EXISTS raw.crawl_runs (
    crawl_run_id VARCHAR NOT NULL,
    spider VARCHAR NOT NULL,
    start_urls VARCHAR[],
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- running, finished, failed, interrupted
    items BIGINT DEFAULT 0,           -- items yielded by the spider
    landed BIGINT DEFAULT 0,          -- rows actually written (new or changed)
    errors BIGINT DEFAULT 0
);
-- Columns added since: ALTERs, so a warehouse made before them gains them at its next writable connect.
-- 'fixture' (the bundled fixture sites: `riftlab crawl --offline`, the demo) or 'live' (any other crawl);
-- NULL (rows landed before this column) counts as 'live'. One warehouse never holds both.
ALTER TABLE raw.crawl_runs ADD COLUMN IF NOT EXISTS origin VARCHAR;
-- The process that owns the run: a `running` row whose process is gone is closed as failed.
ALTER TABLE raw.crawl_runs ADD COLUMN IF NOT EXISTS host VARCHAR;
ALTER TABLE raw.crawl_runs ADD COLUMN IF NOT EXISTS pid BIGINT;
ALTER TABLE raw.crawl_runs ADD COLUMN IF NOT EXISTS pid_started DOUBLE;  -- its start time (epoch seconds): a reused pid is not the owner
ALTER TABLE raw.crawl_runs ADD COLUMN IF NOT EXISTS error VARCHAR;       -- why a failed run failed
