"""Unsupervised SimCSE, LLM2Vec's last step before the triplets: each chunk is its own positive.

Two dropout masks give two views of each text; the other texts of the batch are the negatives
(``MultipleNegativesRankingLoss``), with attention dropout raised while it trains.  Corpus text only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState


class SimCSE(CorpusStep):
    """Unsupervised SimCSE on the corpus chunks."""

    name: ClassVar[str] = "simcse"
    makes_encoder: ClassVar[bool] = True

    steps: int = Field(100, ge=1)
    learning_rate: float = Field(5e-5, gt=0)
    dropout: float = Field(0.3, ge=0, lt=1)
    """Attention dropout while it trains (what makes a text's two views differ)."""
    batch_size: int = Field(32, ge=1)
    """Texts per step."""

    def apply(self, state: EmbedState) -> None:
        texts = state.data.corpus_texts(self.corpus_split)
        loss = simcse(state.model, texts, self, state.preset.seed, state.folder / "simcse")
        state.metrics["llm2vec_simcse_loss"] = round(loss, 4)


def set_attention_dropout(model, rate: float | None) -> None:
    """Set every attention module's dropout to ``rate`` (None: back to the config's value)."""
    for module in model.modules():
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = float(module.config.attention_dropout if rate is None else rate)


def simcse(model, texts: list[str], settings: SimCSE, seed: int, folder: Path) -> float:
    """Unsupervised SimCSE on ``model`` (a SentenceTransformer); returns the training loss."""
    import shutil

    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer import losses

    unique = sorted(set(texts))
    set_attention_dropout(model[0].auto_model, settings.dropout)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(folder),
        max_steps=settings.steps,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        save_strategy="no",
        report_to="none",
        seed=seed,
        logging_steps=max(1, settings.steps // 10),
        dataloader_pin_memory=False,
        disable_tqdm=False,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict({"anchor": unique, "positive": unique}),
        loss=losses.MultipleNegativesRankingLoss(model),
    )
    try:
        output = trainer.train()
    finally:
        set_attention_dropout(model[0].auto_model, None)
        shutil.rmtree(folder, ignore_errors=True)
    return float(output.training_loss)
