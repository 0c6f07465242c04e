-- Structured champion facts: one row per (champion, fact_type, value) observed by a source.
-- fact_type: name, title, position (TOP/JUNGLE/MIDDLE/BOTTOM/SUPPORT), subclass (wiki subclass,
-- e.g. JUGGERNAUT), tag (Data Dragon tag, e.g. Fighter), attack_type, resource, ability_name.
-- Like documents, facts land only when the champion's entry changed (same content_hash = skipped).
CREATE TABLE IF NOT EXISTS raw.facts (
    champion VARCHAR NOT NULL,
    fact_type VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    url VARCHAR,
    content_hash VARCHAR NOT NULL,         -- hash of the champion entry the facts came from
    fetched_at TIMESTAMP NOT NULL,
    crawl_run_id VARCHAR NOT NULL
);
