"""Name inversion: each champion name's token is fitted so that the bare name embeds where its descriptions do.

An encoder embeds "Jhin" from word pieces that say nothing about the champion, yet it embeds the
corpus passages about him (his names masked) by what they describe.  Inversion carries the second
over to the first, held-out champions included, without any label: every name becomes one token
(:func:`training.steps.vocabulary.add_name_tokens`), and only those rows are trained to maximise
the cosine between the bare name's embedding and the mean embedding of its masked chunks
(textual inversion, Gal et al. 2022, aimed at the model's own sentence space).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState


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

    def apply(self, state: EmbedState) -> None:
        from tqdm.auto import tqdm

        weights = None
        if self.card_weight != 1.0:
            weights = [
                [self.card_weight if source == "kit_card" else 1.0 for source in sources]
                for sources in state.data.description_sources(self.corpus_split)
            ]
        stats = invert_names(
            state.model,
            state.data.champions["name"].to_pylist(),
            state.data.descriptions(self.corpus_split),
            self,
            progress=lambda steps: tqdm(steps, desc="inverting champion names", unit="step"),
            weights=weights,
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


def invert_names(
    model,
    names: list[str],
    descriptions: list[list[str]],
    settings: Invert,
    progress: Callable = lambda it: it,
    weights: list[list[float]] | None = None,
) -> InversionStats:
    """Fit one token per name of ``model`` (a sentence-transformers encoder) to the embedding of its descriptions."""
    import torch

    from training.steps.vocabulary import add_name_tokens

    started = time.perf_counter()
    transformer = model[0]
    tokenizer, encoder = transformer.tokenizer, transformer.auto_model
    name_ids, _, _, _ = add_name_tokens(tokenizer, encoder, names)  # each new row starts at its word pieces' mean
    weight = encoder.get_input_embeddings().weight

    chosen = [i for i, texts in enumerate(descriptions) if len(texts) >= settings.min_chunks]
    targets = torch.from_numpy(
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

    def cosine() -> torch.Tensor:
        embedded = model(dict(features))["sentence_embedding"]
        return torch.nn.functional.cosine_similarity(embedded, targets, dim=-1)

    try:
        with torch.no_grad():
            before = float(cosine().mean())
        for _ in progress(range(settings.steps)):
            loss = (1 - cosine()).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            after = float(cosine().mean())
    finally:
        hook.remove()
        for parameter in frozen:
            parameter.requires_grad_(True)
        model.train(was_training)
    with torch.no_grad():
        weight[rows] = fitted.detach().to(weight.dtype)
    return InversionStats(len(names), len(chosen), before, after, time.perf_counter() - started)
