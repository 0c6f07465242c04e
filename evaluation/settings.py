"""Defaults for the ``evaluation`` section of riftlab.yaml."""

EVALUATION = {
    # mteb's result JSON folder (ResultCache layout: results/<model>/<revision>/<Task>.json),
    # relative to the project root.
    "results_dir": "results",
    # Folder of task YAML files; empty = the tasks shipped in evaluation/tasks/.
    "tasks_dir": "",
    # Tasks run by default (`riftlab eval` without --tasks, and the `evaluate` stage); empty = all.
    "tasks": [],
    # Sentence-transformers encode batch size.
    "batch_size": 64,
    # Pooling for a bare decoder checkpoint whose folder names none (mean, lasttoken, cls).
    "decoder_pooling": "lasttoken",
    # Promotion: the primary metric as TASK:SPLIT:METRIC, and how much any other
    # task's main metric may drop against the current model before promotion is refused.
    "primary_metric": "ChampionSubclassClustering:heldout:v_measure",
    "tolerance": 0.02,
    # Report: champions whose nearest neighbours are listed (display names).
    "report_champions": ["Ahri", "Garen", "Jinx", "Thresh", "Lee Sin", "Annie"],
    "report_neighbours": 5,
}
