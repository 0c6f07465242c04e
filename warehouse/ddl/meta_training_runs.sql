-- One row per training run (`riftlab train STAGE`, or the train stage of `riftlab run`).
-- status: running -> finished | failed. A failed run never leaves a checkpoint at output_path.
CREATE TABLE IF NOT EXISTS meta.training_runs (
    run_id VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,               -- clm, sft, embed
    preset VARCHAR,                       -- preset name (file stem) the config came from
    base_model VARCHAR,
    config JSON,                          -- every setting the run used, after overrides
    git_commit VARCHAR,                   -- HEAD of the project's repository ('+dirty' when modified)
    corpus_snapshot_id VARCHAR,           -- hash of the exact warehouse rows read
    data_rows JSON,                       -- rows read per table
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,              -- running, finished, failed
    metrics JSON,
    error VARCHAR,
    output_path VARCHAR
);
