"""Name inversion: each champion name's token is fitted so that the bare name embeds where its descriptions do.

A sentence encoder embeds "Jhin" from word pieces that say nothing about the
champion, while it embeds the corpus passages about Jhin (his name masked) by
what they describe: a marksman who plays bottom lane.  Inversion carries the
second over to the first, for every champion the corpus describes, held-out ones
included, without any label:

1. every name becomes one whole-word token (:func:`training.vocabulary.add_name_tokens`),
   starting from the average of its word pieces (or from what an earlier
   adaptation set);
2. the target of a name is the normalised mean embedding, by the model itself,
   of its corpus chunks with the words naming it masked (main.champion_mask_terms);
3. only those token rows are trained (a forward hook on the embedding layer
   reads them from a small parameter; every other weight is frozen) to maximise
   the cosine between the model's embedding of the bare name and its target.

This is textual inversion (Gal et al., 2022) aimed at the model's own sentence
space.  Names with fewer than ``invert_min_chunks`` chunks keep their start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


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


def description_targets(model, descriptions: list[list[str]], batch_size: int) -> np.ndarray:
    """Normalised mean of the normalised embeddings of each name's descriptions (zeros when it has none)."""
    flat = [text for texts in descriptions for text in texts]
    owner = np.repeat(np.arange(len(descriptions)), [len(texts) for texts in descriptions])
    dimension = model.get_embedding_dimension()
    targets = np.zeros((len(descriptions), dimension), dtype=np.float32)
    if flat:
        vectors = model.encode(
            flat, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        np.add.at(targets, owner, vectors)
    norms = np.linalg.norm(targets, axis=1, keepdims=True)
    return np.divide(targets, norms, out=np.zeros_like(targets), where=norms > 0)


def invert_names(
    model, names: list[str], descriptions: list[list[str]], settings: dict[str, Any], progress: Callable = lambda it: it
) -> InversionStats:
    """Fit one token per name of ``model`` (a sentence-transformers encoder) to the embedding of its descriptions."""
    import torch

    from training.vocabulary import add_name_tokens

    started = time.perf_counter()
    transformer = model[0]
    tokenizer, encoder = transformer.tokenizer, transformer.auto_model
    name_ids, _, _, _ = add_name_tokens(tokenizer, encoder, names)  # each new row starts at its word pieces' mean
    weight = encoder.get_input_embeddings().weight

    chosen = [i for i, texts in enumerate(descriptions) if len(texts) >= max(1, int(settings["invert_min_chunks"]))]
    targets = torch.from_numpy(
        description_targets(model, [descriptions[i] for i in chosen], int(settings["adapt_batch_size"]))
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
    optimizer = torch.optim.Adam([fitted], lr=float(settings["invert_learning_rate"]))
    was_training = model.training
    model.eval()  # no dropout: the target is a fixed point

    def cosine() -> torch.Tensor:
        embedded = model(dict(features))["sentence_embedding"]
        return torch.nn.functional.cosine_similarity(embedded, targets, dim=-1)

    try:
        with torch.no_grad():
            before = float(cosine().mean())
        for _ in progress(range(int(settings["invert_steps"]))):
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
