-- What augmentation produced, one row per generated item (a document, a card, a Q&A pair),
-- plus one 'failed' row per malformed answer (raw text kept, never published).
-- status: ok (publishable), failed (malformed answer), rejected (a judge failed it).
-- Published through transforms/models/augment/ (augmented_documents, instruct_pairs, champion_cards).
CREATE TABLE IF NOT EXISTS raw.augmentations (
    augmentation_id VARCHAR NOT NULL,    -- md5 of (task, request hash, item index)
    task VARCHAR NOT NULL,               -- paraphrase, champion-cards, matchups, roles, instruct-*, self-instruct
    kind VARCHAR NOT NULL,               -- document, card, matchup, role, factual, strategic, role-qa, self-instruct
    subject VARCHAR NOT NULL,            -- the work item (document part, champion, chunk window, sample):
                                         -- models publish only its latest generation
    request_hash VARCHAR NOT NULL,       -- the raw.llm_calls answer this came from
    model VARCHAR NOT NULL,
    prompt_version VARCHAR NOT NULL,
    source_ids VARCHAR[],                -- documents or chunks it was grounded in
    champion VARCHAR,                    -- champion key, when about one champion
    split VARCHAR,                       -- the source's split at generation time (train, validation)
    title VARCHAR,
    text VARCHAR,                        -- documents and cards: the text; failed rows: the raw answer
    messages JSON,                       -- Q&A pairs: [{"role": "user", ...}, {"role": "assistant", ...}]
    attributes JSON,                     -- task specifics (difficulty, style, length, ...)
    verdicts JSON,                       -- self-instruct judges' verdicts
    status VARCHAR NOT NULL,
    error VARCHAR,
    created_at TIMESTAMP NOT NULL
);
