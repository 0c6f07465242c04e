"""``clm``: LoRA causal-LM fine-tuning of a decoder on ``main.corpus_chunks``.

The train split is tokenized and, with ``packing``, concatenated (EOS between
chunks) into full ``max_seq_length`` blocks, so no step is spent on padding.  The
validation split is evaluated before training and after every epoch, as loss
and perplexity.  The adapter is saved in the run folder; ``merge`` adds a
``merged/`` full model that ``sft`` and ``embed`` can start from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from training import bases
from training.data import Snapshot, read_chunks, require_rows, split_rows
from training.decoders import MERGED, check_decoder
from training.runner import FitResult
from warehouse.project import Project


@dataclass
class ClmData:
    base_path: Path
    train: pa.Table  # text
    validation: pa.Table


def prepare(project: Project, settings: dict[str, Any], snapshot: Snapshot) -> ClmData:
    base_path = check_decoder(bases.resolve(settings["base"], "clm", project.root), "clm")
    con = project.connect(read_only=True)
    try:
        chunks = snapshot.add("corpus_chunks", read_chunks(con, "chunk_id, text, split"))
    finally:
        con.close()
    train = split_rows(chunks, "train").select(["text"])
    validation = split_rows(chunks, "validation").select(["chunk_id", "text"])
    cap = int(settings.get("max_validation_chunks") or 0)
    if 0 < cap < validation.num_rows:  # a fixed sample: the chunks whose ids hash lowest
        import hashlib

        ids = validation["chunk_id"].to_pylist()
        keep = sorted(range(len(ids)), key=lambda i: hashlib.md5(ids[i].encode()).hexdigest())[:cap]
        validation = validation.take(sorted(keep))
    validation = validation.select(["text"])
    fix = "run `riftlab build` (the corpus models) on a crawled warehouse; check the split ratio"
    require_rows(train, "main.corpus_chunks (split 'train')", fix)
    require_rows(validation, "main.corpus_chunks (split 'validation')", fix)
    return ClmData(base_path, train, validation)


def tokenize(table: pa.Table, tokenizer, max_len: int, packing: bool, desc: str):
    """A ``datasets.Dataset`` of input_ids: packed blocks, or one truncated row per chunk."""
    from datasets import Dataset

    dataset = Dataset(table)
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []

    def encode(batch: dict[str, list]) -> dict[str, list]:
        ids = tokenizer(
            batch["text"], add_special_tokens=True, truncation=not packing, max_length=None if packing else max_len
        )["input_ids"]
        if not packing:
            return {"input_ids": ids}
        flat = [token for row in ids for token in row + eos]
        usable = (len(flat) // max_len) * max_len
        return {"input_ids": [flat[i : i + max_len] for i in range(0, usable, max_len)]}

    tokenized = dataset.map(
        encode, batched=True, batch_size=1000 if packing else 256, remove_columns=dataset.column_names, desc=desc
    )
    if packing and len(tokenized) == 0:
        # corpus shorter than one block: fall back to one row per chunk
        return tokenize(table, tokenizer, max_len, False, desc)
    return tokenized


class PerplexityCallback:
    """Prints loss and perplexity after each evaluation (the per-epoch validation line)."""

    def __new__(cls, console):
        from transformers import TrainerCallback

        class _Callback(TrainerCallback):
            def on_evaluate(self, args, state, control, metrics=None, **kwargs):
                if metrics and "eval_loss" in metrics and state.is_world_process_zero:
                    loss = metrics["eval_loss"]
                    perplexity = math.exp(min(loss, 50))
                    console.print(
                        f"epoch {state.epoch or 0:.2f}: validation loss {loss:.4f}, perplexity {perplexity:.2f}"
                    )

        return _Callback()


class ThroughputCallback:
    """Tokens/s over optimiser steps after the first ``warmup`` ones, evaluation excluded."""

    def __new__(cls, warmup: int = 2):
        import time

        from transformers import TrainerCallback

        class _Callback(TrainerCallback):
            def __init__(self):
                self.start: tuple[float, int] | None = None
                self.last: tuple[float, int] | None = None

            def _now(self) -> float:
                import torch

                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                return time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                point = (self._now(), int(state.num_input_tokens_seen))
                if state.global_step == warmup:
                    self.start = point
                elif state.global_step > warmup:
                    self.last = point

            @property
            def tokens_per_second(self) -> float | None:
                if not self.start or not self.last or self.last[0] <= self.start[0]:
                    return None
                return (self.last[1] - self.start[1]) / (self.last[0] - self.start[0])

        return _Callback()


def trainer_kwargs(settings: dict[str, Any], folder: Path, precision, gradient_checkpointing: bool) -> dict[str, Any]:
    """TrainingArguments keywords shared by clm and sft (SFTConfig extends TrainingArguments)."""
    import torch

    return dict(
        use_cpu=not torch.cuda.is_available(),  # also what makes torchrun on CPU use gloo DDP
        output_dir=str(folder / "trainer"),
        num_train_epochs=float(settings["epochs"]),
        max_steps=int(settings["max_steps"]),
        per_device_train_batch_size=int(settings["batch_size"]),
        per_device_eval_batch_size=int(settings["eval_batch_size"]),
        gradient_accumulation_steps=int(settings["grad_accum"]),
        learning_rate=float(settings["learning_rate"]),
        weight_decay=float(settings["weight_decay"]),
        warmup_steps=float(settings["warmup_ratio"]),  # transformers 5: a float below 1 is a ratio
        lr_scheduler_type=settings["lr_scheduler"],
        logging_steps=int(settings["logging_steps"]),
        eval_strategy="epoch",
        save_strategy="no",
        report_to="none",
        seed=int(settings["seed"]),
        activation_checkpointing=gradient_checkpointing,
        dataloader_num_workers=int(settings["dataloader_workers"]),
        dataloader_pin_memory=False,
        ddp_find_unused_parameters=False,
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=False,
        **precision.trainer_flags,
    )


def with_perplexity(log_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for entry in log_history:
        if "eval_loss" in entry:
            entry["eval_perplexity"] = math.exp(min(entry["eval_loss"], 50))
    return log_history


def save_outputs(trainer, model, tokenizer, folder: Path, merge: bool) -> None:
    """Adapter (+ tokenizer) in ``folder``; with ``merge``, the full merged model in ``folder/merged``."""
    import shutil

    trainer.save_model(str(folder))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(str(folder))
        if merge:
            merged = model.merge_and_unload()
            merged.save_pretrained(str(folder / MERGED))
            tokenizer.save_pretrained(str(folder / MERGED))
        shutil.rmtree(folder / "trainer", ignore_errors=True)


def fit(settings: dict[str, Any], data: ClmData, folder: Path, console) -> FitResult:
    from peft import get_peft_model
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainingArguments

    from training import precision as precisions
    from training.decoders import load_causal_lm, load_tokenizer
    from training.lora import check_targets, lora_config

    precision = precisions.choose(settings["precision"])
    if precision.note:
        console.print(f"[yellow]{precision.note}[/yellow]")
    tokenizer = load_tokenizer(data.base_path)
    model = load_causal_lm(
        data.base_path, dtype=precision.load_dtype, attn_implementation=settings["attn_implementation"]
    )
    max_len = int(settings["max_seq_length"])
    checkpointing = precisions.needs_gradient_checkpointing(
        settings["gradient_checkpointing"], model.config, int(settings["batch_size"]), max_len
    )
    check_targets(model, settings["lora"])
    model = get_peft_model(model, lora_config(settings["lora"]))
    if checkpointing:
        model.enable_input_require_grads()
    train = tokenize(data.train, tokenizer, max_len, bool(settings["packing"]), "tokenizing train")
    validation = tokenize(data.validation, tokenizer, max_len, bool(settings["packing"]), "tokenizing validation")
    throughput = ThroughputCallback()
    trainer = Trainer(
        model=model,
        args=TrainingArguments(**trainer_kwargs(settings, folder, precision, checkpointing)),
        train_dataset=train,
        eval_dataset=validation,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
        callbacks=[PerplexityCallback(console), throughput],
    )
    before = trainer.evaluate()
    output = trainer.train()
    after = trainer.evaluate()
    save_outputs(trainer, model, tokenizer, folder, bool(settings["merge"]))
    runtime = float(output.metrics.get("train_runtime", 0.0)) or 1e-9
    trainable, total = model.get_nb_trainable_parameters()
    metrics = {
        "precision": precision.name,
        "gradient_checkpointing": checkpointing,
        "train_blocks": len(train),
        "validation_blocks": len(validation),
        "train_loss": round(float(output.training_loss), 4),
        "eval_loss_before": round(float(before["eval_loss"]), 4),
        "eval_perplexity_before": round(math.exp(min(before["eval_loss"], 50)), 3),
        "eval_loss": round(float(after["eval_loss"]), 4),
        "eval_perplexity": round(math.exp(min(after["eval_loss"], 50)), 3),
        "train_tokens": int(trainer.state.num_input_tokens_seen),
        "train_tokens_per_second": round(trainer.state.num_input_tokens_seen / runtime, 1),
        # per process, steps after the first two, evaluation excluded (what benchmarks compare)
        "steady_tokens_per_second": round(throughput.tokens_per_second, 1) if throughput.tokens_per_second else None,
        "trainable_parameters": int(trainable),
        "total_parameters": int(total),
        "merged": bool(settings["merge"]),
        "world_size": int(trainer.args.world_size),
    }
    return FitResult(metrics, with_perplexity(list(trainer.state.log_history)))
