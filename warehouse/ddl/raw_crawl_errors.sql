-- Anything a crawl could not land: malformed page, bad JSON, HTTP error, missing fields.
CREATE TABLE IF NOT EXISTS raw.crawl_errors (
    crawl_run_id VARCHAR NOT NULL,
    spider VARCHAR NOT NULL,
    url VARCHAR,
    reason VARCHAR NOT NULL,
    excerpt VARCHAR,
    occurred_at TIMESTAMP NOT NULL
);
