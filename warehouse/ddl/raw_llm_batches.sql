-- Message Batches submitted by `riftlab augment --batch`; an open batch (collected_at NULL)
-- is polled again by the next run instead of being submitted twice.
CREATE TABLE IF NOT EXISTS raw.llm_batches (
    batch_id VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    request_hashes VARCHAR[] NOT NULL,    -- the custom_id of each request
    requests JSON NOT NULL,               -- [{request_hash, task, prompt, prompt_version}] to log answers after a restart
    n_requests INTEGER NOT NULL,
    estimated_cost_usd DOUBLE,
    processing_status VARCHAR NOT NULL,  -- in_progress, canceling, ended
    submitted_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    collected_at TIMESTAMP             -- results written to raw.llm_calls
);
