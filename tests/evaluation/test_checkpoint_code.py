"""Checkpoints are data, not code: a model folder that ships Python is refused, never run.

Each attack is a copy of the offline MiniLM folder whose evil code would write a marker
file when imported (tests/evaluation/evil_checkpoints.py); `riftlab eval --model DIR`
runs in a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import models
from evaluation.errors import EvaluationError
from tests.evaluation.conftest import make_eval_project
from tests.evaluation.evil_checkpoints import ATTACKS, minilm_copy
from warehouse.errors import RiftlabError


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_riftlab_eval_refuses_a_folder_that_ships_code(attack: str, tmp_path: Path):
    project = make_eval_project(tmp_path / "project")
    marker = tmp_path / "marker"
    folder, culprit = ATTACKS[attack](tmp_path, marker)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "hf-modules")}
    result = subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "--project-dir", str(project.root), "eval", "--model", str(folder)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert not marker.exists(), "the checkpoint's code ran"
    assert result.returncode != 0, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(folder) in errors[0] and culprit in errors[0], errors[0]


def test_an_auto_map_without_a_code_file_is_refused_too(tmp_path: Path):
    folder = minilm_copy(tmp_path)
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    remote = {**tokenizer_config, "auto_map": {"AutoTokenizer": ["some/repo--tokenization_x.XTokenizer", None]}}
    (folder / "tokenizer_config.json").write_text(json.dumps(remote))
    with pytest.raises(RiftlabError, match=r"tokenizer_config\.json.*auto_map"):
        models.load(models.resolve(str(folder), None))


def test_a_module_class_outside_the_allow_list_is_refused_even_under_sentence_transformers(tmp_path: Path):
    """The allow-list names classes, not a package prefix: any other ``sentence_transformers.*`` path is refused."""
    folder = minilm_copy(tmp_path)
    listed = json.loads((folder / "modules.json").read_text())
    listed[1]["type"] = "sentence_transformers.util.misc.Evil"
    (folder / "modules.json").write_text(json.dumps(listed))
    with pytest.raises(RiftlabError, match=r"modules\.json.*sentence_transformers\.util\.misc\.Evil"):
        models.load(models.resolve(str(folder), None))


def test_pickled_weights_are_not_loaded(tmp_path: Path):
    """Only safetensors: a folder whose weights are a pickle (pytorch_model.bin) does not load."""
    import torch
    from safetensors.torch import load_file

    folder = minilm_copy(tmp_path)
    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(EvaluationError, match=str(folder)):
        models.load(models.resolve(str(folder), None))


def test_the_shipped_model_and_a_clean_copy_still_load(tmp_path: Path):
    folder = minilm_copy(tmp_path)
    for model in (models.load(models.resolve("minilm", None)), models.load(models.resolve(str(folder), None))):
        assert model.encode(["Ahri"]).shape == (1, 384)
