-- Every document a crawl yielded, landed or not: what drift reports compare between runs
-- (new, changed and removed documents).
CREATE TABLE IF NOT EXISTS raw.crawl_seen (
    crawl_run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL
);
