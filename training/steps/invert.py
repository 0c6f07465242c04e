"""Name inversion: each champion name's token is fitted so that the bare name embeds where its descriptions do.

An encoder embeds "Jhin" from word pieces that say nothing about the champion, yet it embeds the
corpus passages about him (his names masked) by what they describe.  Inversion carries the second
over to the first, held-out champions included, without any label: every name becomes one token
(:func:`training.steps.vocabulary.add_name_tokens`), and only those rows are trained to maximise
the cosine between the bare name's embedding and the mean embedding of its masked chunks
(textual inversion, Gal et al. 2022, aimed at the model's own sentence space).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState


#: the share of the kit-card offsets' energy the card directions hold (contrast_targets)
CARD_ENERGY = 0.97
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Invert(CorpusStep):
    """Champion-name tokens fitted to the embedding of their masked descriptions (encoders)."""

    name: ClassVar[str] = "invert"
    needs: ClassVar[Literal["encoder"]] = "encoder"
    reads_mask_terms: ClassVar[bool] = True

    steps: int = Field(80, ge=1)
    learning_rate: float = Field(2e-2, gt=0)
    min_chunks: int = Field(2, ge=1)
    """Names with fewer chunks keep their word-piece average."""
    batch_size: int = Field(32, ge=1)
    """Chunks per batch when they are embedded (the targets)."""
    card_weight: float = Field(1.0, ge=0)
    """How much a kit card (source kit_card) counts in a name's target beside one crawled chunk."""
    card_contrast: float = Field(0.0, ge=0)
    """When above 0, a name's target is the mean of its crawled chunks plus how its kit cards differ from
    the average champion's, that difference scaled to the spread of the crawled means times this
    (:func:`contrast_targets`).  Cards all read alike to the base ("X deals ... damage"), so in a plain
    mean their differences, which carry the kit facts, are a small part of the target; this makes them
    as large as the corpus's own.  Replaces card_weight.  The directions the cards moved the names along
    are kept for the head step, which leaves them out of the embedding's unmapped half (that half serves
    retrieval of crawled text, which they would only blur)."""
    card_split: bool = False
    """With card_contrast: fit each name with two cosines, one within the card directions and one outside
    them, instead of one over the whole target.  The crawled part is then fitted as well as the card part
    (retrieval of crawled text is kept) at the cost of the card part (held-out positions and classes are
    placed less well): one token per name cannot fit both closely (docs/results.md)."""
    card_sentences: bool = False
    """With card_contrast: embed each sentence of a kit card alone, not the card whole.  Every card sentence
    states one fact ("... is ranged and attacks from a distance."), so a name's card mean becomes the mean of
    one vector per fact, and facts stay apart instead of being blurred into one passage's embedding."""

    @model_validator(mode="after")
    def _one_card_rule(self) -> Invert:
        if self.card_contrast > 0 and self.card_weight != 1.0:
            raise ValueError("set card_weight or card_contrast, not both (card_contrast replaces the weighted mean)")
        if self.card_split and not self.card_contrast:
            raise ValueError("card_split needs card_contrast above 0 (it splits the target along the card directions)")
        if self.card_sentences and not self.card_contrast:
            raise ValueError(
                "card_sentences needs card_contrast above 0 (it changes how the card offsets are embedded)"
            )
        return self

    def apply(self, state: EmbedState) -> None:
        from tqdm.auto import tqdm

        descriptions = state.data.descriptions(self.corpus_split)
        weights = targets = None
        if self.card_contrast > 0:
            targets, state.card_directions = contrast_targets(
                state.model,
                descriptions,
                state.data.description_sources(self.corpus_split),
                self.card_contrast,
                self.batch_size,
                sentences=self.card_sentences,
            )
            state.metrics["invert_card_directions"] = len(state.card_directions)
            if not len(state.card_directions):
                state.console.print(
                    "[yellow]invert: card_contrast is set but fewer than two champions have kit cards in the corpus "
                    "(source kit_card); names are fitted to their crawled text alone. Build the corpus with "
                    "champion facts (riftlab crawl meraki, then riftlab build) to use it.[/yellow]"
                )
        elif self.card_weight != 1.0:
            weights = [
                [self.card_weight if source == "kit_card" else 1.0 for source in sources]
                for sources in state.data.description_sources(self.corpus_split)
            ]
        stats = invert_names(
            state.model,
            state.data.champions["name"].to_pylist(),
            descriptions,
            self,
            progress=lambda steps: tqdm(steps, desc="inverting champion names", unit="step"),
            weights=weights,
            targets=targets,
            split=state.card_directions if self.card_split else None,
        )
        state.metrics.update(stats.metrics())
        state.measure_names("_inverted")
        state.console.print(
            f"name inversion: {stats.inverted} of {stats.names} names fitted to their descriptions in "
            f"{stats.seconds:.0f}s; cosine of name and descriptions {stats.cosine_before:.3f} -> "
            f"{stats.cosine_after:.3f}"
        )


@dataclass
class InversionStats:
    names: int
    inverted: int  # names with enough chunks to have a target
    cosine_before: float  # mean cosine of bare name and target, over the inverted names
    cosine_after: float
    seconds: float

    def metrics(self) -> dict[str, Any]:
        return {
            "invert_names": self.inverted,
            "invert_cosine_before": round(self.cosine_before, 4),
            "invert_cosine_after": round(self.cosine_after, 4),
            "invert_seconds": round(self.seconds, 1),
        }


def description_targets(
    model, descriptions: list[list[str]], batch_size: int, weights: list[list[float]] | None = None
) -> np.ndarray:
    """Normalised (``weights``-weighted) mean of the normalised embeddings of each name's descriptions (zeros when
    it has none)."""
    flat = [text for texts in descriptions for text in texts]
    owner = np.repeat(np.arange(len(descriptions)), [len(texts) for texts in descriptions])
    dimension = model.get_embedding_dimension()
    targets = np.zeros((len(descriptions), dimension), dtype=np.float32)
    if flat:
        vectors = model.encode(
            flat, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        if weights is not None:
            vectors = vectors * np.asarray([w for row in weights for w in row], dtype=np.float32)[:, None]
        np.add.at(targets, owner, vectors)
    norms = np.linalg.norm(targets, axis=1, keepdims=True)
    return np.divide(targets, norms, out=np.zeros_like(targets), where=norms > 0)


def contrast_targets(
    model,
    descriptions: list[list[str]],
    sources: list[list[str]],
    contrast: float,
    batch_size: int,
    sentences: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Per name, the normalised mean of its crawled descriptions plus ``contrast`` times its cards' offset
    (:func:`offset_targets`), the descriptions of source kit_card being the cards (split into their
    sentences first when ``sentences``)."""
    crawled: list[list[str]] = [[] for _ in descriptions]
    cards: list[list[str]] = [[] for _ in descriptions]
    for i, (texts, kinds) in enumerate(zip(descriptions, sources, strict=True)):
        for text, source in zip(texts, kinds, strict=True):
            if source != "kit_card":
                crawled[i].append(text)
            else:
                cards[i].extend(card_sentences(text) if sentences else [text])
    return offset_targets(
        description_targets(model, crawled, batch_size), description_targets(model, cards, batch_size), contrast
    )


def card_sentences(text: str) -> list[str]:
    """A kit card's sentences (each states one fact; kit_cards.yml writes every rule as one sentence)."""
    return [sentence for sentence in SENTENCE_END.split(text.strip()) if sentence.strip()]


def offset_targets(base: np.ndarray, card: np.ndarray, contrast: float) -> tuple[np.ndarray, np.ndarray]:
    """``base`` (each name's normalised crawled mean) plus ``contrast`` times its cards' offset, normalised.

    The offset is the name's card mean (``card``) minus the average of those means over every name with
    cards, rescaled so that the offsets' root-mean-square norm equals that of the crawled means around
    their own average.  A name without crawled text starts from its cards' mean; a name without cards
    keeps its crawled mean.  Returns the normalised rows (zeros for a name with no description) and the
    card directions: the fewest orthonormal directions holding CARD_ENERGY of the offsets' energy (none
    when there is nothing to contrast).
    """
    base = base.copy()
    has_text = np.linalg.norm(base, axis=1) > 0
    has_card = np.linalg.norm(card, axis=1) > 0
    base[~has_text] = card[~has_text]
    if has_card.sum() < 2 or has_text.sum() < 2:
        return base, np.zeros((0, base.shape[1]), dtype=np.float32)  # no spread to measure: nothing to contrast
    offset = np.where(has_card[:, None], card - card[has_card].mean(axis=0), 0.0)
    _, singular, directions = np.linalg.svd(offset[has_card], full_matrices=False)
    energy = np.cumsum(np.square(singular)) / max(float(np.square(singular).sum()), 1e-12)
    directions = directions[: int(np.searchsorted(energy, CARD_ENERGY)) + 1].astype(np.float32)
    spread = np.sqrt((np.square(base[has_text] - base[has_text].mean(axis=0)).sum(axis=1)).mean())
    card_spread = np.sqrt(np.square(offset[has_card]).sum(axis=1).mean())
    targets = base + contrast * (spread / max(card_spread, 1e-9)) * offset
    norms = np.linalg.norm(targets, axis=1, keepdims=True)
    return np.divide(targets, norms, out=np.zeros_like(targets), where=norms > 0).astype(np.float32), directions


def invert_names(
    model,
    names: list[str],
    descriptions: list[list[str]],
    settings: Invert,
    progress: Callable = lambda it: it,
    weights: list[list[float]] | None = None,
    targets: np.ndarray | None = None,
    split: np.ndarray | None = None,
) -> InversionStats:
    """Fit one token per name of ``model`` (a sentence-transformers encoder) to the embedding of its descriptions.

    ``targets`` (one row per name), when given, replaces the (``weights``-weighted) mean of the descriptions as
    what each name is fitted to; ``descriptions`` still decides which names have enough text to be fitted.
    ``split`` (orthonormal rows), when given, makes the loss the sum of two cosines, one within those
    directions and one outside them, so that neither part of the target is fitted at the other's expense.
    """
    import torch

    from training.steps.vocabulary import add_name_tokens

    started = time.perf_counter()
    transformer = model[0]
    tokenizer, encoder = transformer.tokenizer, transformer.auto_model
    name_ids, _, _, _ = add_name_tokens(tokenizer, encoder, names)  # each new row starts at its word pieces' mean
    weight = encoder.get_input_embeddings().weight

    chosen = [i for i, texts in enumerate(descriptions) if len(texts) >= settings.min_chunks]
    if targets is not None:
        goal = torch.from_numpy(np.ascontiguousarray(targets[chosen], dtype=np.float32))
    else:
        goal = torch.from_numpy(
            description_targets(
                model,
                [descriptions[i] for i in chosen],
                settings.batch_size,
                None if weights is None else [weights[i] for i in chosen],
            )
        )
    if not chosen:
        return InversionStats(len(names), 0, float("nan"), float("nan"), time.perf_counter() - started)
    features = model.tokenize([names[i] for i in chosen])
    rows = torch.tensor([name_ids[i] for i in chosen])
    slot = torch.full((weight.shape[0],), -1, dtype=torch.long)
    slot[rows] = torch.arange(len(rows))
    fitted = torch.nn.Parameter(weight[rows].detach().clone())

    def substitute(module, args, output):
        """Embedding lookups of the names being fitted read ``fitted`` (so only those rows get gradients)."""
        index = slot[args[0]]
        hit = index >= 0
        if not hit.any():
            return output
        return torch.where(hit[..., None], fitted[index.clamp(min=0)].to(output.dtype), output)

    frozen = [p for p in model.parameters() if p.requires_grad]
    for parameter in frozen:
        parameter.requires_grad_(False)
    hook = encoder.get_input_embeddings().register_forward_hook(substitute)
    optimizer = torch.optim.Adam([fitted], lr=settings.learning_rate)
    was_training = model.training
    model.eval()  # no dropout: the target is a fixed point

    cosine = torch.nn.functional.cosine_similarity
    projector = None if split is None or not len(split) else torch.from_numpy(np.asarray(split, dtype=np.float32))
    if projector is not None:
        projector = projector.T @ projector  # onto the split directions
        goal_within = goal @ projector

    def embed() -> torch.Tensor:
        return model(dict(features))["sentence_embedding"]

    def objective() -> torch.Tensor:
        embedded = embed()
        if projector is None:
            return (1 - cosine(embedded, goal, dim=-1)).mean()
        within = embedded @ projector
        inside = cosine(within, goal_within, dim=-1)
        outside = cosine(embedded - within, goal - goal_within, dim=-1)
        return (2 - inside - outside).mean()

    try:
        with torch.no_grad():
            before = float(cosine(embed(), goal, dim=-1).mean())
        for _ in progress(range(settings.steps)):
            loss = objective()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            after = float(cosine(embed(), goal, dim=-1).mean())
    finally:
        hook.remove()
        for parameter in frozen:
            parameter.requires_grad_(True)
        model.train(was_training)
    with torch.no_grad():
        weight[rows] = fitted.detach().to(weight.dtype)
    return InversionStats(len(names), len(chosen), before, after, time.perf_counter() - started)
