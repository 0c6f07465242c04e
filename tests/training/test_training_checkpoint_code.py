"""Training never runs code shipped in a base model folder: it is refused before any run starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.evaluation.evil_checkpoints import ATTACKS
from training.errors import UntrustedModelError


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_train_embed_refuses_a_base_that_ships_code(attack: str, project, tmp_path: Path):
    from training.runner import train

    marker = tmp_path / "marker"
    folder, culprit = ATTACKS[attack](tmp_path, marker)
    with pytest.raises(UntrustedModelError) as refused:
        train(project, "embed", base=str(folder), overrides=["invert.steps=1", "name_vectors.steps=1"])
    assert not marker.exists(), "the base model's code ran"
    assert str(folder) in str(refused.value) and culprit in str(refused.value) and "\n" not in str(refused.value)
    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM meta.training_runs").fetchone()[0] == 0
    finally:
        con.close()


def test_decoder_loaders_refuse_an_auto_map(tiny_decoder: Path, tmp_path: Path):
    """clm/sft/llm2vec load decoders through training.decoders: an auto_map is refused even without a .py file."""
    from training.decoders import load_causal_lm, load_tokenizer

    folder = tmp_path / "decoder"
    shutil.copytree(tiny_decoder, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(
        json.dumps({**config, "auto_map": {"AutoModelForCausalLM": "other/repo--modeling_x.X"}})
    )
    for load in (load_causal_lm, load_tokenizer):
        with pytest.raises(UntrustedModelError, match=r"config\.json has an auto_map"):
            load(folder)
