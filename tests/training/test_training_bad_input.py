"""Bad input fails with one clear line naming the culprit, and never leaves a finished checkpoint."""

from __future__ import annotations

import duckdb
import pytest

from training.errors import BaseModelError, PresetError, TrainingDataError
from warehouse.errors import RiftlabError


def _runs(project) -> list[tuple]:
    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        return con.execute("SELECT stage, status, error FROM meta.training_runs").fetchall()
    finally:
        con.close()


def _checkpoints(project) -> list:
    runs = project.root / "runs"
    return sorted(p.name for p in runs.iterdir()) if runs.exists() else []


def test_empty_train_split(make_project):
    from training.runner import train

    project = make_project(triplets=[])
    with pytest.raises(TrainingDataError, match=r"main.triplets \(split 'train'.*riftlab build"):
        train(project, "embed")
    assert _checkpoints(project) == []


def test_triplets_naming_unknown_champions(make_project):
    import training_fixture_data as data

    from training.runner import train

    rows = data.triplet_rows()
    rows[3] = {**rows[3], "negative_champion": "Faker"}
    project = make_project(triplets=rows)
    with pytest.raises(TrainingDataError, match=r"negative_champion 'Faker' \(triplet \w+\) is not in main.champions"):
        train(project, "embed")
    assert _checkpoints(project) == []


def test_heldout_champion_in_a_training_triplet(make_project):
    import training_fixture_data as data

    from training.runner import train

    rows = data.triplet_rows()
    train_row = next(i for i, r in enumerate(rows) if r["split"] == "train")
    rows[train_row] = {**rows[train_row], "positive_champion": "Ashe", "positive": "Ashe"}
    with pytest.raises(TrainingDataError, match=r"held-out champion 'Ashe'"):
        train(make_project(triplets=rows), "embed")


def test_missing_base_and_encoder_base_for_clm(project):
    from training.runner import train

    with pytest.raises(BaseModelError, match=r"base model '/nowhere/model' does not exist"):
        train(project, "clm", base="/nowhere/model")
    with pytest.raises(BaseModelError, match=r"not a decoder.*needs a causal LM"):
        train(project, "clm", base="minilm")
    with pytest.raises(BaseModelError, match=r"needs a base model"):
        train(project, "sft")
    assert _checkpoints(project) == [] and _runs(project) == []


def test_unknown_preset_key_and_bad_values(project, tmp_path):
    from training.runner import train

    with pytest.raises(PresetError, match=r"unknown key 'epoch' \(did you mean 'triplets.epochs'\?\)"):
        train(project, "embed", overrides=["epoch=2"])
    with pytest.raises(PresetError, match=r"'lora.r' must be a number"):
        train(project, "clm", overrides=["lora.r=big"])
    preset = tmp_path / "mine.yaml"
    preset.write_text("stage: embed\nlerning_rate: 0.1\n")
    with pytest.raises(
        PresetError, match=r"mine.yaml: unknown key 'lerning_rate' \(did you mean 'triplets.learning_rate'\?\)"
    ):
        train(project, "embed", preset=str(preset))
    with pytest.raises(PresetError, match=r"unknown preset 'fastest'"):
        train(project, "embed", preset="fastest")
    with pytest.raises(PresetError, match=r"is a 'clm' preset, not a 'embed' preset"):
        train(project, "embed", preset="clm_seed")
    with pytest.raises(PresetError, match=r"triplets.loss 'cosine' is not one of"):
        train(project, "embed", "embed_plain", overrides=["triplets.loss=cosine"])


def test_failure_during_training_marks_the_run_failed_and_leaves_no_checkpoint(project, tiny_decoder):
    """A LoRA target that the model lacks only fails inside fit: the run row says failed, no folder stays."""
    from training.runner import train

    with pytest.raises(RiftlabError, match=r"lora.target_modules \['query'\] match no module"):
        train(project, "clm", base=str(tiny_decoder), overrides=["lora.target_modules=[query]"])
    runs = _runs(project)
    assert len(runs) == 1 and runs[0][:2] == ("clm", "failed") and "target_modules" in runs[0][2]
    assert _checkpoints(project) == []
