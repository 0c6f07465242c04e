"""Label head: a linear map fitted on the training triplets, appended beside the embedding it reads.

Name inversion (:mod:`training.inversion`) puts every champion name where its
descriptions embed, which is what lets a name never seen in a triplet be found
from a description of its kit.  What the descriptions say about role and class
is in that space too, but spread over directions the base model weighs by
topic: a linear map learned on the training champions brings it forward, and
because the map reads only the embedding (not the name's tokens), it applies to
held-out names as it does to trained ones.

The head is fitted with the encoder frozen, so every text of the training
triplets is embedded once and the map ``W`` (started at the identity) is trained
on those vectors with the in-batch-negatives ranking loss of sentence-transformers'
``MultipleNegativesRankingLoss`` (each anchor against its positive, every other
positive and every hard negative of the batch).  The checkpoint then gains two
standard sentence-transformers modules:

* ``Dense(d -> 2d)``, weight ``[I; weight / c * W^T]``, no bias, no activation: the
  embedding as it was, beside its mapped copy (``c``, the mean norm of the mapped
  training vectors, puts both halves on the same scale);
* ``Normalize``.

Keeping the embedding as it was beside the map is what keeps retrieval: the map
learned from names and a few thousand triplets pulls same-role champions
together, while the identity half still tells each champion from the next.
``head_weight`` sets the balance: the cosine of two results is about the mean of
the two halves' cosines weighted 1 : weight^2 (exactly so when the mapped half's
norm equals ``c``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

#: sentence-transformers' MultipleNegativesRankingLoss default (cosine similarities times 20)
SIMILARITY_SCALE = 20.0


@dataclass
class HeadStats:
    rows: int
    texts: int
    steps: int
    loss_before: float  # mean ranking loss over the training rows in fixed batches, W = I
    loss_after: float
    seconds: float

    def metrics(self) -> dict[str, Any]:
        return {
            "head_rows": self.rows,
            "head_steps": self.steps,
            "head_loss_before": round(self.loss_before, 4),
            "head_loss_after": round(self.loss_after, 4),
            "head_seconds": round(self.seconds, 1),
        }


def ranking_loss(anchor, positive, negative, weight):
    """In-batch-negatives ranking loss of the mapped, normalised vectors (one row per anchor)."""
    import torch

    a, p, n = (torch.nn.functional.normalize(v @ weight, dim=-1) for v in (anchor, positive, negative))
    logits = SIMILARITY_SCALE * a @ torch.cat([p, n]).T
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(a)))


def fit_label_head(
    model, triplets: pa.Table, settings: dict[str, Any], progress: Callable = lambda it: it
) -> tuple[HeadStats, list[dict[str, Any]]]:
    """Fit ``W`` on ``triplets`` (anchor, positive, negative) and append the head to ``model``.

    Returns the statistics and the loss log (``{"step", "head_loss"}`` entries).
    """
    import torch

    if not triplets.num_rows:
        raise ValueError("label head: no training triplets to fit it on")
    started = time.perf_counter()
    columns = [triplets[c].to_pylist() for c in ("anchor", "positive", "negative")]
    texts = sorted({text for column in columns for text in column})
    position = {text: i for i, text in enumerate(texts)}
    vectors = torch.from_numpy(
        model.encode(
            texts,
            batch_size=int(settings["adapt_batch_size"]),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    ).float()
    anchor, positive, negative = (vectors[[position[t] for t in column]] for column in columns)

    dimension = vectors.shape[1]
    weight = torch.nn.Parameter(torch.eye(dimension))
    optimizer = torch.optim.Adam([weight], lr=float(settings["head_learning_rate"]))
    generator = torch.Generator().manual_seed(int(settings["seed"]))
    batch_size = min(int(settings["batch_size"]), triplets.num_rows)
    steps = int(settings["head_steps"])
    every = max(1, int(settings["logging_steps"]))

    def mean_loss(mapped) -> float:
        """The loss over the rows in fixed consecutive batches (a before/after comparison on equal terms)."""
        with torch.no_grad():
            return float(
                np.mean(
                    [
                        float(
                            ranking_loss(
                                anchor[i : i + batch_size],
                                positive[i : i + batch_size],
                                negative[i : i + batch_size],
                                mapped,
                            )
                        )
                        for i in range(0, triplets.num_rows, batch_size)
                    ]
                )
            )

    before = mean_loss(weight)
    log: list[dict[str, Any]] = []
    order = torch.randperm(triplets.num_rows, generator=generator)
    cursor = 0
    running = []
    for step in progress(range(1, steps + 1)):
        if cursor + batch_size > len(order):
            order, cursor = torch.randperm(triplets.num_rows, generator=generator), 0
        rows = order[cursor : cursor + batch_size]
        cursor += batch_size
        loss = ranking_loss(anchor[rows], positive[rows], negative[rows], weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running.append(float(loss.detach()))
        if step % every == 0 or step == steps:
            log.append({"step": step, "head_loss": round(float(np.mean(running)), 4)})
            running = []
    mapped = weight.detach()
    after = mean_loss(mapped)
    with torch.no_grad():
        scale = float((vectors @ mapped).norm(dim=-1).mean())
    append_head(model, mapped, float(settings["head_weight"]) / scale)
    seconds = time.perf_counter() - started
    return HeadStats(triplets.num_rows, len(texts), steps, before, after, seconds), log


def append_head(model, mapped, factor: float) -> None:
    """Append ``Dense(d -> 2d)`` = ``[I; factor * mapped^T]`` and ``Normalize`` (after a ``Normalize`` if missing)."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize

    dimension = mapped.shape[0]
    if not isinstance(model[-1], Normalize):
        model.append(Normalize())  # the head reads unit vectors, as it was fitted on
    init = torch.cat([torch.eye(dimension), factor * mapped.T]).contiguous()
    model.append(Dense(dimension, 2 * dimension, bias=False, activation_function=torch.nn.Identity(), init_weight=init))
    model.append(Normalize())
