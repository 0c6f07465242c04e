"""``dpo``: preference tuning with TRL's DPOTrainer on ``main.preference_pairs``.

The base is an ``sft`` run folder (its ``merged/`` model, or its adapter merged in memory) or any
decoder checkpoint.  A fresh LoRA adapter is trained on it and the reference model is the same
weights with the adapter disabled (TRL's memory-light path for peft: one copy of the model, no
second one in memory).  Pairs go to TRL as conversations (``prompt`` a user turn, ``chosen`` and
``rejected`` assistant turns) through the base's chat template.  The validation split (held-out
champions) is scored before and after training: DPO's reward accuracy and margin on pairs about
champions it never trained on.  Reward margins and accuracies are drawn per step
(:data:`REWARD_CURVES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from training import bases
from training.data import Snapshot, read_arrow, require_rows, split_rows
from training.decoders import check_decoder
from training.runner import FitResult
from warehouse.db import require_table
from warehouse.project import Project

REWARD_CURVES = "reward_curves.png"
#: DPOTrainer's logged keys drawn in :data:`REWARD_CURVES` (train and ``eval_`` versions)
REWARD_KEYS = ("rewards/margins", "rewards/accuracies")


@dataclass
class DpoData:
    base_path: Path
    train: pa.Table  # prompt, chosen, rejected (conversational)
    validation: pa.Table


def read_preference_pairs(con) -> pa.Table:
    require_table(con, "main", "preference_pairs", "`riftlab build --select +preference_pairs`")
    columns = "pair_id, prompt, chosen, rejected, source, champion, split"
    return read_arrow(con, f"SELECT {columns} FROM main.preference_pairs ORDER BY pair_id")


def as_conversations(table: pa.Table, limit: int = 0) -> pa.Table:
    """TRL's conversational preference format: a user turn, then the chosen or the rejected assistant turn."""
    rows = table.to_pylist()
    if limit:
        rows = rows[:limit]

    def turn(role: str, text: str) -> list[dict[str, str]]:
        return [{"role": role, "content": text}]

    return pa.Table.from_pylist(
        [
            {
                "prompt": turn("user", r["prompt"]),
                "chosen": turn("assistant", r["chosen"]),
                "rejected": turn("assistant", r["rejected"]),
            }
            for r in rows
        ],
        schema=pa.schema(
            [
                (name, pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])))
                for name in ("prompt", "chosen", "rejected")
            ]
        ),
    )


def prepare(project: Project, settings: dict[str, Any], snapshot: Snapshot) -> DpoData:
    base_path = check_decoder(bases.resolve(settings["base"], "dpo", project.root), "dpo")
    con = project.connect(read_only=True)
    try:
        pairs = snapshot.add("preference_pairs", read_preference_pairs(con))
    finally:
        con.close()
    train = split_rows(pairs, "train")
    require_rows(train, "main.preference_pairs (split 'train')", "run `riftlab build` on a crawled warehouse")
    return DpoData(
        base_path,
        as_conversations(train),
        as_conversations(split_rows(pairs, "validation"), int(settings["max_validation_pairs"])),
    )


def reward_series(log_history: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """(step, value) of the reward margin and accuracy, train and validation, from a DPOTrainer's log history."""
    series: dict[str, list[tuple[int, float]]] = {}
    for entry in log_history:
        for key in REWARD_KEYS:
            for prefix, label in (("", "train"), ("eval_", "validation")):
                value = entry.get(prefix + key)
                if isinstance(value, (int, float)):
                    name = f"{label} {key.removeprefix('rewards/')}"
                    series.setdefault(name, []).append((int(entry.get("step", 0)), float(value)))
    return series


def save_reward_curves(log_history: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Two panels, reward margin and reward accuracy per step; None when nothing was logged."""
    series = reward_series(log_history)
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    for ax, what in zip(axes, ("margins", "accuracies"), strict=True):
        for label, points in series.items():
            if label.endswith(what):
                steps, values = zip(*points, strict=True)
                ax.plot(steps, values, marker="o", markersize=3, label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("reward " + ("margin (chosen - rejected)" if what == "margins" else "accuracy"))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def fit(settings: dict[str, Any], data: DpoData, folder: Path, console) -> FitResult:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from training import precision as precisions
    from training.chat import apply_template
    from training.clm import save_outputs, trainer_kwargs
    from training.decoders import load_causal_lm, load_tokenizer
    from training.lora import check_targets, lora_config

    precision = precisions.choose(settings["precision"])
    if precision.note:
        console.print(f"[yellow]{precision.note}[/yellow]")
    tokenizer = load_tokenizer(data.base_path)
    if apply_template(tokenizer, settings["chat_template"], False):
        raise_missing_tokens(data.base_path)
    model = load_causal_lm(
        data.base_path, dtype=precision.load_dtype, attn_implementation=settings["attn_implementation"]
    )
    max_len = int(settings["max_length"])
    checkpointing = precisions.needs_gradient_checkpointing(
        settings["gradient_checkpointing"], model.config, int(settings["batch_size"]), max_len
    )
    check_targets(model, settings["lora"])
    has_validation = data.validation.num_rows > 0
    kwargs = trainer_kwargs(settings, folder, precision, checkpointing)
    kwargs["gradient_checkpointing"] = checkpointing  # TRL's configs default it to True
    if not has_validation:
        kwargs["eval_strategy"] = "no"
    args = DPOConfig(
        **kwargs,
        beta=float(settings["beta"]),
        loss_type=[settings["loss_type"]],
        max_length=max_len,
        precompute_ref_log_probs=False,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=None,  # with peft_config: the reference is this model with the adapter disabled
        args=args,
        train_dataset=Dataset(data.train),
        eval_dataset=Dataset(data.validation) if has_validation else None,
        processing_class=tokenizer,
        peft_config=lora_config(settings["lora"]),
    )
    before = trainer.evaluate() if has_validation else {}
    output = trainer.train()
    after = trainer.evaluate() if has_validation else {}
    save_outputs(trainer, trainer.model, tokenizer, folder, bool(settings["merge"]))
    history = list(trainer.state.log_history)
    save_reward_curves(history, folder / REWARD_CURVES, f"DPO on {data.train.num_rows} pairs")
    metrics: dict[str, Any] = {
        "precision": precision.name,
        "beta": float(settings["beta"]),
        "train_pairs": data.train.num_rows,
        "validation_pairs": data.validation.num_rows,
        "train_loss": round(float(output.training_loss), 4),
        "train_tokens": int(trainer.state.num_input_tokens_seen),
        "merged": bool(settings["merge"]),
    }
    last_train = next((e for e in reversed(history) if "rewards/margins" in e), {})
    for key in REWARD_KEYS:
        if key in last_train:
            metrics["train_reward_" + key.removeprefix("rewards/")] = round(float(last_train[key]), 4)
    if has_validation:
        for key in REWARD_KEYS:
            name = "validation_reward_" + key.removeprefix("rewards/")
            metrics[name + "_before"] = _rounded(before.get("eval_" + key))
            metrics[name] = _rounded(after.get("eval_" + key))
        metrics["eval_loss_before"] = _rounded(before.get("eval_loss"))
        metrics["eval_loss"] = _rounded(after.get("eval_loss"))
    return FitResult(metrics, history)


def _rounded(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, (int, float)) and math.isfinite(value) else None


def raise_missing_tokens(path: Path) -> None:
    from training.errors import BaseModelError

    raise BaseModelError(
        f"{path}: its tokenizer lacks the chat template's special tokens; start dpo from an sft run "
        "(which adds them) or a base whose tokenizer has a chat template"
    )
