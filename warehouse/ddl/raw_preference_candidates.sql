-- Two answers of a language model (an sft run) to one training question, landed by `riftlab prefer`
-- for the LLM judge (`riftlab augment preference-judge`), whose verdicts become main.preference_pairs.
CREATE TABLE IF NOT EXISTS raw.preference_candidates (
    candidate_id VARCHAR NOT NULL,       -- md5 of (model, question)
    question VARCHAR NOT NULL,
    answer_a VARCHAR NOT NULL,
    answer_b VARCHAR NOT NULL,
    champion VARCHAR,
    split VARCHAR NOT NULL,              -- always train: questions of held-out champions are never asked
    model VARCHAR NOT NULL,              -- the run (or folder) that answered
    created_at TIMESTAMP NOT NULL
);
