"""Name vectors: a second fitted vector per champion name, from its kit cards (:class:`training.modules.NameVectors`).

Name inversion fits one token per name.  Fitted to its crawled text the token keeps retrieval of
described kits; fitted to its kit cards too it places held-out champions by position and class; one
token cannot do both closely (docs/results.md).  This step leaves the token to the crawled text and
gives each name a second vector beside the embedding, read from its kit cards (source kit_card, names
masked) in one of three ways (``read``):

- ``inverted`` (the default): the name as it embeds when its token is fitted, a second time, to its
  crawled text plus ``card_contrast`` times how its cards differ from the average champion's
  (:func:`training.steps.invert.contrast_targets`, each card sentence embedded alone); the token is
  then put back as it was.  This is the second token the one-token fit lacked.
- ``offsets``: how its cards' mean embedding differs from the average champion's.
- ``facts``: one indicator per distinct card sentence (each states one fact in the rules' words),
  less the average champion's.

No label is read; held-out champions' cards are read as their release-day pages would be.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState


class NameVectorsStep(CorpusStep):
    """Beside the embedding, a unit vector per champion name read from its kit cards (no label)."""

    name: ClassVar[str] = "name_vectors"
    needs: ClassVar[Literal["encoder"]] = "encoder"
    reads_mask_terms: ClassVar[bool] = True

    read: Literal["inverted", "offsets", "facts"] = "inverted"
    """How a name's cards become its vector (see the module's docstring)."""
    weight: float = Field(1.0, gt=0)
    """The vectors' scale beside the unit embedding (a name's extra block has this norm)."""
    card_contrast: float = Field(3.0, gt=0)
    """``inverted``: the cards' offset in the target, scaled to the crawled means' spread times this."""
    steps: int = Field(240, ge=1)
    """``inverted``: optimiser steps of the second fit."""
    learning_rate: float = Field(2e-2, gt=0)
    """``inverted``: the second fit's learning rate."""
    batch_size: int = Field(32, ge=1)
    """Texts per batch when the cards are embedded."""

    def apply(self, state: EmbedState) -> None:
        import torch
        from sentence_transformers.sentence_transformer.modules import Normalize

        from training.modules import NameVectors
        from training.steps.invert import card_sentences
        from training.steps.vocabulary import name_token_ids

        started = time.perf_counter()
        model = state.model
        names = state.data.champions["name"].to_pylist()
        descriptions = state.data.descriptions(self.corpus_split)
        sources = state.data.description_sources(self.corpus_split)
        cards = [
            [
                sentence
                for text, kind in zip(texts, kinds, strict=True)
                if kind == "kit_card"
                for sentence in card_sentences(text)
            ]
            for texts, kinds in zip(descriptions, sources, strict=True)
        ]
        with_cards = sum(bool(sentences) for sentences in cards)
        if with_cards < 2:
            state.console.print(
                f"[yellow]name_vectors: {with_cards} champion(s) have kit cards in the corpus (source kit_card), "
                "two or more are needed; no name vectors were added. Build the corpus with champion facts "
                "(riftlab crawl meraki, then riftlab build) to use them.[/yellow]"
            )
            state.metrics["name_vectors_names"] = 0
            return
        ids = name_token_ids(model[0].tokenizer, names, self.name)
        if self.read == "inverted":
            vectors = self._inverted(state, names, descriptions, sources, ids)
        elif self.read == "facts":
            vectors = card_offsets(fact_indicators(cards))
        else:
            from training.steps.invert import description_targets

            vectors = card_offsets(description_targets(model, cards, self.batch_size))
        module = NameVectors(model.get_embedding_dimension(), ids, vectors.shape[1], self.weight)
        with torch.no_grad():
            module.vectors.copy_(torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)))
        model.append(module)
        model.append(Normalize())
        seconds = time.perf_counter() - started
        state.metrics.update(
            {
                "name_vectors_names": with_cards,
                "name_vectors_width": vectors.shape[1],
                "name_vectors_seconds": round(seconds, 1),
            }
        )
        state.console.print(
            f"name vectors ({self.read}): {with_cards} of {len(names)} champion names given a second vector from "
            f"their {sum(map(len, cards))} kit-card sentences in {seconds:.0f}s"
        )

    def _inverted(self, state: EmbedState, names, descriptions, sources, ids) -> np.ndarray:
        """Each name as it embeds with its token fitted to the contrast target; the token rows are put back after."""
        import torch
        from tqdm.auto import tqdm

        from training.steps.invert import Invert, contrast_targets, invert_names

        model = state.model
        targets, _ = contrast_targets(model, descriptions, sources, self.card_contrast, self.batch_size, sentences=True)
        rows = model[0].auto_model.get_input_embeddings().weight
        kept = rows[ids].detach().clone()
        fit = Invert(
            steps=self.steps,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            corpus_split=self.corpus_split,
        )
        try:
            stats = invert_names(
                model,
                names,
                descriptions,
                fit,
                progress=lambda steps: tqdm(steps, desc="fitting the names' second vectors", unit="step"),
                targets=targets,
            )
            vectors = model.encode(names, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        finally:
            with torch.no_grad():
                rows[ids] = kept.to(rows.dtype)
        state.metrics["name_vectors_cosine_after"] = round(stats.cosine_after, 4)
        return vectors


def card_offsets(card: np.ndarray) -> np.ndarray:
    """Each row of ``card`` (a name's card representation; zeros without cards) less the mean of the rows with
    cards, normalised (rows without cards stay zero)."""
    has_card = np.linalg.norm(card, axis=1) > 0
    offset = np.where(has_card[:, None], card - card[has_card].mean(axis=0), 0.0)
    norms = np.linalg.norm(offset, axis=1, keepdims=True)
    return np.divide(offset, norms, out=np.zeros_like(offset), where=norms > 0).astype(np.float32)


def fact_indicators(cards: list[list[str]]) -> np.ndarray:
    """One row per name, one column per distinct card text across the names: 1 where the name's cards hold it."""
    columns = {text: i for i, text in enumerate(sorted({text for texts in cards for text in texts}))}
    indicators = np.zeros((len(cards), len(columns)), dtype=np.float32)
    for row, texts in enumerate(cards):
        indicators[row, [columns[text] for text in texts]] = 1.0
    return indicators
