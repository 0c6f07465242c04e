-- Every request sent to the Anthropic API, one row per attempt that got an answer or gave up.
-- A row with status 'ok' is the cache: a request whose hash has one is never sent again.
-- request_hash = hash(model, prompt version, rendered inputs); the API key is never stored.
CREATE TABLE IF NOT EXISTS raw.llm_calls (
    request_hash VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    prompt_name VARCHAR,
    prompt_version VARCHAR NOT NULL,     -- content hash of the Jinja template
    mode VARCHAR NOT NULL,               -- interactive, batch
    batch_id VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_write_tokens BIGINT,
    cost_usd DOUBLE,
    latency_ms BIGINT,
    status VARCHAR NOT NULL,             -- ok, error
    stop_reason VARCHAR,
    response_text VARCHAR,
    error VARCHAR,
    created_at TIMESTAMP NOT NULL
);
