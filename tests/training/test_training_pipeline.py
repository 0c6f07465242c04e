"""clm -> merge -> sft -> embed (decoder) -> save -> reload, end to end on a tiny Llama-shaped model."""

from __future__ import annotations

import json

import duckdb

TINY = ["max_seq_length=64", "batch_size=4", "eval_batch_size=4", "logging_steps=1", "learning_rate=5e-3"]


def test_clm_sft_embed_end_to_end(project, tiny_decoder):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.runner import train

    clm = train(
        project, "clm", base=str(tiny_decoder), overrides=[*TINY, "epochs=2", "merge=true", "lora_preset=light"]
    )
    m = clm.metrics
    assert m["eval_loss"] < m["eval_loss_before"] and m["eval_perplexity"] < m["eval_perplexity_before"], m
    assert m["precision"] == "fp32" and m["train_tokens"] > 0
    assert (clm.output_path / "adapter_config.json").is_file()
    assert (clm.output_path / "merged" / "config.json").is_file()
    history = json.loads((clm.output_path / "log_history.json").read_text())
    assert sum("eval_perplexity" in e for e in history) >= 3  # before, after each of 2 epochs
    assert (clm.output_path / "loss_curves.png").is_file()

    sft = train(project, "sft", base=str(clm.output_path), overrides=[*TINY, "epochs=2", "merge=true"])
    assert sft.metrics["added_tokens"] == 2 and sft.metrics["eval_loss"] < sft.metrics["eval_loss_before"], sft.metrics
    merged = sft.output_path / "merged"
    tokenizer = AutoTokenizer.from_pretrained(merged)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What does Jinx do?"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt.startswith("<|im_start|>user") and prompt.endswith("<|im_start|>assistant\n")
    model = AutoModelForCausalLM.from_pretrained(merged)
    ids = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]

    embed = train(
        project,
        "embed",
        "embed_decoder",
        base=str(sft.output_path),
        overrides=["triplets.epochs=1", "triplets.batch_size=16", "max_seq_length=48", "triplets.learning_rate=1e-3"],
    )
    assert embed.metrics["train_rows"] > 0 and "validation_accuracy" in embed.metrics
    # the LoRA adapter (peft's own injection) is folded in: the checkpoint holds full weights, no adapter
    assert embed.metrics["merged_lora_layers"] > 0 and not (embed.output_path / "adapter_config.json").exists()
    from safetensors import safe_open

    with safe_open(str(embed.output_path / "model.safetensors"), "pt") as weights:
        assert weights.keys() and not [key for key in weights.keys() if "lora" in key]
    reloaded = SentenceTransformer(str(embed.output_path))
    vectors = reloaded.encode(["Jinx", "Caitlyn"])
    assert vectors.shape == (2, 64)

    con = duckdb.connect(str(project.db_path), read_only=True)
    rows = con.execute("SELECT stage, status, base_model FROM meta.training_runs ORDER BY started_at").fetchall()
    con.close()
    assert [(r[0], r[1]) for r in rows] == [("clm", "finished"), ("sft", "finished"), ("embed", "finished")]
    assert rows[1][2] == str(clm.output_path)
