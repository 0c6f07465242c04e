"""Defaults for the ``training`` section of riftlab.yaml.

A stage's hyper-parameters live in preset files (``training/configs/*.yaml`` or a
path of the user's); this section only says which preset each stage uses by
default, where runs are written and what ``riftlab run`` trains.
"""

TRAINING = {
    # Folder that receives one sub-folder per run (relative to the project root).
    "output_dir": "runs",
    # Preset used by `riftlab train STAGE` without --config: a name in training/configs/
    # (without .yaml) or a path to a YAML file, relative to the project root.
    "presets": {
        "embed": "embed_default",
        "clm": "clm_default",
        "sft": "sft_default",
    },
    # Stages trained by `riftlab run`, in order (each with its default preset).
    "run_stages": ["embed"],
    # CPU threads for torch (0 = torch's own default).
    "num_threads": 0,
}
