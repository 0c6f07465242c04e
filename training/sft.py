"""``sft``: instruction fine-tuning with TRL's SFTTrainer on ``main.instruct_pairs``.

Conversations go to TRL as ``messages``; the chat template comes from the base or
the preset (:mod:`training.chat`) and the loss covers assistant tokens only.  The
base is a decoder checkpoint or a ``clm`` run folder (its ``merged/`` model, or
its adapter merged in memory).  Special tokens the template adds get trainable
embedding rows (peft ``trainable_token_indices``) so LoRA can learn them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from training import bases
from training.data import Snapshot, read_instruct_pairs, require_rows, split_rows
from training.decoders import check_decoder
from training.runner import FitResult
from warehouse.project import Project


@dataclass
class SftData:
    base_path: Path
    train: pa.Table  # messages
    validation: pa.Table


def prepare(project: Project, settings: dict[str, Any], snapshot: Snapshot) -> SftData:
    base_path = check_decoder(bases.resolve(settings["base"], "sft", project.root), "sft")
    con = project.connect(read_only=True)
    try:
        pairs = snapshot.add("instruct_pairs", read_instruct_pairs(con, list(settings["kinds"])))
    finally:
        con.close()
    train = split_rows(pairs, "train").select(["messages"])
    require_rows(
        train,
        "main.instruct_pairs (split 'train')",
        "run `riftlab augment` (offline it templates factual pairs) then `riftlab build`",
    )
    validation = split_rows(pairs, "validation")
    cap = int(settings.get("max_validation_pairs") or 0)
    if 0 < cap < validation.num_rows:  # a fixed sample: the pairs whose ids hash lowest
        import hashlib

        ids = validation["pair_id"].to_pylist()
        keep = sorted(range(len(ids)), key=lambda i: hashlib.md5(str(ids[i]).encode()).hexdigest())[:cap]
        validation = validation.take(sorted(keep))
    return SftData(base_path, train, validation.select(["messages"]))


GENERATIONS = "generations.json"


def generate(model, tokenizer, questions: list[str], max_new_tokens: int) -> list[dict[str, str]]:
    """Greedy answers of ``model`` to ``questions``, each asked alone in the tokenizer's chat template."""
    import torch

    was_training = model.training
    model.eval()
    answers = []
    device = next(model.parameters()).device
    for question in questions:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
        )
        ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").to(device)
        with torch.no_grad():
            out = model.generate(
                **ids,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
        answer = tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()
        answers.append({"question": question, "answer": answer})
    if was_training:
        model.train()
    return answers


def fit(settings: dict[str, Any], data: SftData, folder: Path, console) -> FitResult:
    from datasets import Dataset
    from peft import get_peft_model
    from trl import SFTConfig, SFTTrainer

    from training import precision as precisions
    from training.chat import apply_template
    from training.clm import PerplexityCallback, save_outputs, trainer_kwargs, with_perplexity
    from training.decoders import load_causal_lm, load_tokenizer
    from training.lora import check_targets, lora_config

    precision = precisions.choose(settings["precision"])
    if precision.note:
        console.print(f"[yellow]{precision.note}[/yellow]")
    tokenizer = load_tokenizer(data.base_path)
    added = apply_template(tokenizer, settings["chat_template"], bool(settings["assistant_only_loss"]))
    model = load_causal_lm(
        data.base_path, dtype=precision.load_dtype, attn_implementation=settings["attn_implementation"]
    )
    if added:
        model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    max_len = int(settings["max_seq_length"])
    checkpointing = precisions.needs_gradient_checkpointing(
        settings["gradient_checkpointing"], model.config, int(settings["batch_size"]), max_len
    )
    if settings["use_lora"]:
        check_targets(model, settings["lora"])
        config = lora_config(settings["lora"])
        if added:
            config.trainable_token_indices = {"embed_tokens": list(added)}
        model = get_peft_model(model, config)
    has_validation = data.validation.num_rows > 0
    kwargs = trainer_kwargs(settings, folder, precision, checkpointing)
    if not has_validation:
        kwargs["eval_strategy"] = "no"
    args = SFTConfig(
        **kwargs,
        max_length=max_len,
        packing=bool(settings["packing"]),
        assistant_only_loss=bool(settings["assistant_only_loss"]),
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset(data.train),
        eval_dataset=Dataset(data.validation) if has_validation else None,
        processing_class=tokenizer,
        callbacks=[PerplexityCallback(console)],
    )
    before = trainer.evaluate() if has_validation else {}
    output = trainer.train()
    after = trainer.evaluate() if has_validation else {}
    if trainer.is_world_process_zero():
        samples = generate(model, tokenizer, list(settings["sample_questions"]), int(settings["sample_max_new_tokens"]))
        (folder / GENERATIONS).write_text(json.dumps(samples, indent=1, ensure_ascii=False), encoding="utf-8")
    save_outputs(trainer, model, tokenizer, folder, bool(settings["merge"]) and bool(settings["use_lora"]))
    metrics: dict[str, Any] = {
        "precision": precision.name,
        "train_pairs": data.train.num_rows,
        "validation_pairs": data.validation.num_rows,
        "train_loss": round(float(output.training_loss), 4),
        "added_tokens": len(added),
        "train_tokens": int(trainer.state.num_input_tokens_seen),
    }
    if has_validation:
        metrics.update(
            eval_loss_before=round(float(before["eval_loss"]), 4),
            eval_loss=round(float(after["eval_loss"]), 4),
            eval_perplexity=round(math.exp(min(after["eval_loss"], 50)), 3),
        )
        for key in ("eval_mean_token_accuracy",):
            if key in after:
                metrics[key.removeprefix("eval_")] = round(float(after[key]), 4)
    return FitResult(metrics, with_perplexity(list(trainer.state.log_history)))
