"""Triplet training: the sentence-transformers trainer on the (anchor, positive, negative) rows.

Champion triplets (name, name sharing a role, name sharing none) teach the geometry; text triplets
(name, a chunk about it, a chunk about a dissimilar one) tie names to what the corpus says.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from training.steps.base import Step

if TYPE_CHECKING:
    from training.embed import EmbedState

#: mnrl: MultipleNegativesRankingLoss (hard + in-batch negatives); triplet: TripletLoss; cached_mnrl: its cached form
LOSSES = ("mnrl", "triplet", "cached_mnrl")


class Triplets(Step):
    """Train the encoder on the training triplets (and the corpus pairs, if any)."""

    name: ClassVar[str] = "triplets"

    loss: Literal[LOSSES] = "mnrl"  # type: ignore[valid-type]
    """mnrl (with the hard negatives), triplet, cached_mnrl."""
    cached_mini_batch_size: int = Field(32, ge=1)
    """cached_mnrl: rows per forward pass."""
    triplet_margin: float = Field(5.0, gt=0)
    """Triplet loss margin (euclidean)."""
    epochs: float = Field(1.0, ge=0)
    """0: the step trains nothing (a run that only loads, checks and saves)."""
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(5e-5, gt=0)
    warmup_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)
    eval_steps: int = Field(0, ge=0)
    """0 = evaluate half-way and at the end."""
    logging_steps: int = Field(5, ge=1)
    freeze_token_embeddings: bool = False
    """Keep the input token embeddings as they are (as a vocabulary or invert step set them), so what
    the triplets teach lives in the layers above and carries over to names never in a triplet."""

    def apply(self, state: EmbedState) -> None:
        if self.freeze_token_embeddings:
            state.model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
        if self.epochs > 0:
            state.log(train_triplets(state.model, self, state, state.metrics))


def build_loss(settings: Triplets, model):
    from sentence_transformers.sentence_transformer import losses

    if settings.loss == "triplet":
        return losses.TripletLoss(model, triplet_margin=settings.triplet_margin)
    if settings.loss == "cached_mnrl":
        return losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=settings.cached_mini_batch_size)
    return losses.MultipleNegativesRankingLoss(model)


def train_triplets(
    model, settings: Triplets, state: EmbedState, metrics: dict[str, Any], rows=None
) -> list[dict[str, Any]]:
    """The sentence-transformers trainer on the triplets (``rows``, else the run's training rows); returns its
    log history."""
    import shutil

    import numpy as np
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers

    data, evaluator, seed = state.data, state.evaluator, state.preset.seed
    folder: Path = state.folder / "trainer"
    rows = data.train if rows is None else rows
    train_dataset = Dataset(rows).shuffle(seed=seed)
    eval_dataset = (
        Dataset(data.validation.slice(0, min(data.validation.num_rows, 128))) if evaluator is not None else None
    )
    steps = max(1, int(np.ceil(rows.num_rows / settings.batch_size) * settings.epochs))
    in_batch_negatives = settings.loss in ("mnrl", "cached_mnrl")
    args = SentenceTransformerTrainingArguments(
        output_dir=str(folder),
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        warmup_steps=settings.warmup_ratio,  # transformers 5: a float below 1 is a ratio
        weight_decay=settings.weight_decay,
        batch_sampler=BatchSamplers.NO_DUPLICATES if in_batch_negatives else BatchSamplers.BATCH_SAMPLER,
        eval_strategy="steps" if evaluator else "no",
        eval_steps=settings.eval_steps or max(1, steps // 2),
        logging_steps=settings.logging_steps,
        save_strategy="no",
        report_to="none",
        seed=seed,
        dataloader_pin_memory=False,
        disable_tqdm=False,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        loss=build_loss(settings, model),
        evaluator=evaluator,
    )
    output = trainer.train()
    metrics["train_loss"] = round(float(output.training_loss), 4)
    if evaluator is not None:
        final_eval = trainer.evaluate()
        if "eval_loss" in final_eval:
            metrics["eval_loss"] = round(float(final_eval["eval_loss"]), 4)
    shutil.rmtree(folder, ignore_errors=True)
    return list(trainer.state.log_history)
