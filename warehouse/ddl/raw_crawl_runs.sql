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
