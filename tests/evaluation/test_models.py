"""Model references: a bare decoder checkpoint is pooled as its config says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from evaluation import models
from evaluation.errors import EvaluationError
from training.bases import minilm_path


@pytest.fixture(scope="module")
def tiny_decoder(tmp_path_factory) -> Path:
    """A 2-layer Llama-shaped decoder (random weights) with MiniLM's tokenizer, saved like a clm checkpoint."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("decoder") / "clm-final"
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_decoder_checkpoint_uses_the_pooling_named_in_its_config(tiny_decoder: Path, tmp_path: Path):
    ref = models.resolve(str(tiny_decoder), None)
    assert ref.model == str(tiny_decoder) and ref.run_id is None and ref.mteb_name.startswith("riftlab/clm-final-")
    default = models.load(ref, decoder_pooling="lasttoken")
    assert default[1].pooling_mode == "lasttoken"

    mean_copy = tmp_path / "clm-mean"
    shutil.copytree(tiny_decoder, mean_copy)
    config = json.loads((mean_copy / "config.json").read_text())
    (mean_copy / "config.json").write_text(json.dumps({**config, "pooling": "mean"}))
    mean = models.load(models.resolve(str(mean_copy), None), decoder_pooling="lasttoken")
    assert mean[1].pooling_mode == "mean"
    vectors = mean.encode(["Ahri", "Garen"])
    assert vectors.shape == (2, 32) and np.isfinite(vectors).all()


def test_unknown_pooling_is_a_clear_error(tiny_decoder: Path, tmp_path: Path):
    copy = tmp_path / "clm-bad"
    shutil.copytree(tiny_decoder, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "pooling": "median"}))
    with pytest.raises(EvaluationError, match=r"pooling 'median' unknown"):
        models.load(models.resolve(str(copy), None))


def test_a_file_is_not_a_model(tmp_path: Path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"x")
    with pytest.raises(EvaluationError, match=r"is not a model"):
        models.resolve(str(weights), None)


def test_an_adapter_run_folder_is_a_language_model_by_path_as_by_run_id(tiny_decoder: Path, tmp_path: Path):
    """`riftlab eval --model runs/sft-...` (an adapter-only run folder) is the run, not 'not a model'."""
    import duckdb
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from warehouse.db import ensure_schemas

    run_folder = tmp_path / "runs" / "sft-1"
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_decoder), LoraConfig(r=2))
    peft_model.save_pretrained(run_folder)
    assert not (run_folder / "config.json").exists()

    unregistered = models.resolve(str(run_folder), None)
    assert unregistered.family == "lm" and unregistered.run_id is None

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schemas(con)
    con.execute(
        "INSERT INTO meta.training_runs (run_id, stage, started_at, status, output_path) "
        "VALUES ('sft-1', 'sft', now(), 'finished', ?)",
        [str(run_folder)],
    )
    by_path = models.resolve(str(run_folder), con)
    by_id = models.resolve("sft-1", con)
    assert (by_path.model, by_path.run_id, by_path.family) == ("sft-1", "sft-1", "lm")
    assert (by_id.model, by_id.path, by_id.family) == (by_path.model, by_path.path, "lm")
