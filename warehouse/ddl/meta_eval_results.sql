-- One row per (model, task, split, metric) measured by `riftlab eval`.
-- model: 'minilm', a training run id, or a checkpoint path; run_id: the training run when known.
-- data_snapshot_id: hash of the exact rows the task read, so a re-run on the same data is skipped.
CREATE TABLE IF NOT EXISTS meta.eval_results (
    model VARCHAR NOT NULL,
    run_id VARCHAR,
    task VARCHAR NOT NULL,
    split VARCHAR NOT NULL,           -- all, heldout, validation ...
    metric VARCHAR NOT NULL,
    value DOUBLE,
    is_main BOOLEAN NOT NULL,         -- the task's main metric (first in its YAML `metrics`)
    evaluated_at TIMESTAMP NOT NULL,
    data_snapshot_id VARCHAR NOT NULL
);
