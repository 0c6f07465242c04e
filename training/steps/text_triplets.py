"""Text triplets: teach the encoder to read role and class from what the corpus says about a kit.

Name inversion puts a name where its descriptions embed, and the label head maps that space; if
the encoder embeds two kits of one subclass far apart, neither can repair it.  This step trains the
encoder on text-to-text triplets built from the *training* champions only (``embedding_split``
'train': validation and held-out champions' labels are never read): the anchor is a masked chunk
about a champion, the positive a masked chunk about another training champion sharing one of the
labels in ``shares``, the negative one about a training champion sharing no position, class or
subclass with it (SetFit's recipe, with MultipleNegativesRankingLoss).  ``sources`` picks the
chunks (``kit_card``: the cards written from non-label facts, champions/champion_kit_cards.sql).
Listed before ``invert``, every name is then inverted into the improved space.

``target: head`` trains nothing here: the triplets join the rows the later ``head`` (and
``triplets``) steps fit on, so the label head also learns which directions of kit text tell
labels apart (seconds, where training the encoder takes minutes on a CPU).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from training.errors import TrainingDataError
from training.steps.base import CorpusStep
from training.steps.triplets import Triplets, train_triplets

if TYPE_CHECKING:
    from training.embed import EmbedState

LABELS = ("position", "class", "subclass")
COLUMN = {"position": "positions", "class": "classes", "subclass": "subclasses"}


class TextTriplets(CorpusStep):
    """The encoder trained on (chunk, chunk of a champion sharing a label, chunk of one sharing none)."""

    name: ClassVar[str] = "text_triplets"
    needs: ClassVar[Literal["encoder"]] = "encoder"
    reads_mask_terms: ClassVar[bool] = True

    sources: list[str] = Field(default_factory=lambda: ["kit_card"])
    """corpus_chunks sources the texts come from; [] reads every source."""
    shares: list[Literal["position", "class", "subclass"]] = Field(
        default_factory=lambda: ["subclass", "position"], min_length=1
    )
    """A positive shares a value of one of these labels with the anchor (each drawn in turn)."""
    target: Literal["encoder", "head"] = "encoder"
    """encoder: train the encoder on the triplets now; head: add them to the rows the later steps fit on."""
    per_champion: int = Field(16, ge=1)
    """Triplets per training champion."""
    epochs: float = Field(1.0, gt=0)
    batch_size: int = Field(32, ge=2)
    learning_rate: float = Field(5e-5, gt=0)
    warmup_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)

    def apply(self, state: EmbedState) -> None:
        started = time.perf_counter()
        chunks = state.data.corpus(self.corpus_split)
        if self.sources:
            chunks = chunks.filter(pc.is_in(chunks["source"], value_set=pa.array(self.sources, pa.string())))
        from training.embed import masked_descriptions

        descriptions = masked_descriptions(state.data.champions, chunks, state.data.mask_terms, state.data.mask_token)
        rows = label_triplets(
            state.data.champions.to_pylist(), descriptions, self.shares, self.per_champion, state.preset.seed
        )
        if not rows.num_rows:
            raise TrainingDataError(
                f"text_triplets: no triplet could be drawn from the training champions' chunks of sources "
                f"{self.sources or 'any'}: build the kit cards (`riftlab build`) or set text_triplets.sources=[]"
            )
        if self.target == "head":
            state.data.train = pa.concat_tables([state.data.train, rows.cast(state.data.train.schema)])
            state.metrics.update({"text_triplets_rows": rows.num_rows})
            state.console.print(
                f"text triplets: {rows.num_rows} triplets of training champions' texts "
                f"(sources {', '.join(self.sources) or 'all'}) join the rows the later steps fit on"
            )
            return
        trainer = Triplets(
            loss="mnrl",
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            warmup_ratio=self.warmup_ratio,
            weight_decay=self.weight_decay,
        )
        state.log(train_triplets(state.model, trainer, state, state.metrics, rows))
        seconds = time.perf_counter() - started
        state.metrics.update({"text_triplets_rows": rows.num_rows, "text_triplets_seconds": round(seconds, 1)})
        state.console.print(
            f"text triplets: the encoder trained on {rows.num_rows} triplets of training champions' texts "
            f"(sources {', '.join(self.sources) or 'all'}) in {seconds:.0f}s"
        )


def label_triplets(
    champions: list[dict], descriptions: list[list[str]], shares: list[str], per_champion: int, seed: int
) -> pa.Table:
    """(anchor, positive, negative) texts of training champions, chosen by their labels (see the module).

    Only rows with ``embedding_split`` 'train' are read, labels and texts alike; draws are seeded.
    """
    rng = np.random.default_rng(seed)
    train = [i for i, row in enumerate(champions) if row["embedding_split"] == "train" and descriptions[i]]
    labels = {i: {fact: set(champions[i][COLUMN[fact]] or []) for fact in LABELS} for i in train}

    def share(a: int, b: int, fact: str) -> bool:
        return bool(labels[a][fact] & labels[b][fact])

    anchors, positives, negatives = [], [], []
    for a in train:
        unlike = [c for c in train if not any(share(a, c, fact) for fact in LABELS)]
        alike = {fact: [b for b in train if b != a and share(a, b, fact)] for fact in shares}
        if not unlike:
            continue
        for n in range(per_champion):
            fact = shares[n % len(shares)]
            pool = alike[fact] or next((alike[f] for f in shares if alike[f]), [])
            if not pool:
                break
            b, c = pool[rng.integers(len(pool))], unlike[rng.integers(len(unlike))]
            anchors.append(descriptions[a][rng.integers(len(descriptions[a]))])
            positives.append(descriptions[b][rng.integers(len(descriptions[b]))])
            negatives.append(descriptions[c][rng.integers(len(descriptions[c]))])
    return pa.table({"anchor": anchors, "positive": positives, "negative": negatives})
