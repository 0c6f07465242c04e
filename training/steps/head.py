"""Label head: a linear map fitted on the training triplets, appended beside the embedding it reads.

What the corpus says about role and class is in the embedding, spread over directions the base
weighs by topic; a map ``W`` learned on the training champions brings it forward, and as it reads
only the embedding, it applies to held-out names too.  The encoder stays frozen: every triplet
text is embedded once and ``W`` (from the identity) is trained with the in-batch-negatives ranking
loss of ``MultipleNegativesRankingLoss``.  The checkpoint gains ``Dense(d -> 2d)`` with weight
``[I; weight / c * W^T]`` (``c``: the mean norm of the mapped training vectors) and ``Normalize``:
the embedding as it was, which keeps retrieval, beside its mapped copy; ``weight`` sets the balance
(the cosine of two results is about the halves' cosines weighted 1 : weight^2).  When the invert step
moved the names along kit-card directions (``card_contrast``), the first half leaves those out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from training.steps.base import Step

if TYPE_CHECKING:
    from training.embed import EmbedState

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


class Head(Step):
    """A linear map fitted on the training triplets over the frozen embedding, appended beside it."""

    name: ClassVar[str] = "head"

    steps: int = Field(300, ge=1)
    learning_rate: float = Field(1e-2, gt=0)
    weight: float = Field(2.0, gt=0)
    """The mapped half's scale beside the embedding as it was."""
    batch_size: int = Field(32, ge=1)
    """Triplets per step."""
    logging_steps: int = Field(5, ge=1)
    encode_batch_size: int = Field(32, ge=1)
    """Texts per batch when the triplets are embedded."""

    def apply(self, state: EmbedState) -> None:
        from tqdm.auto import tqdm

        stats, log = fit_label_head(
            state.model,
            state.data.train,
            self,
            state.preset.seed,
            progress=lambda steps: tqdm(steps, desc="fitting the label head", unit="step"),
            without=state.card_directions,
        )
        state.metrics.update(stats.metrics())
        state.log(log)
        state.console.print(
            f"label head: {stats.steps} steps on {stats.rows} triplets ({stats.texts} texts embedded once) in "
            f"{stats.seconds:.0f}s; ranking loss {stats.loss_before:.3f} -> {stats.loss_after:.3f}"
        )


def ranking_loss(anchor, positive, negative, weight):
    """In-batch-negatives ranking loss of the mapped, normalised vectors (one row per anchor)."""
    import torch

    a, p, n = (torch.nn.functional.normalize(v @ weight, dim=-1) for v in (anchor, positive, negative))
    logits = SIMILARITY_SCALE * a @ torch.cat([p, n]).T
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(a)))


def fit_label_head(
    model,
    triplets: pa.Table,
    settings: Head,
    seed: int,
    progress: Callable = lambda it: it,
    without: np.ndarray | None = None,
) -> tuple[HeadStats, list[dict[str, Any]]]:
    """Fit ``W`` on ``triplets`` (anchor, positive, negative) and append the head to ``model``.

    ``without`` (orthonormal rows), when given, is projected out of the unmapped half (:func:`append_head`).
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
            batch_size=settings.encode_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    ).float()
    anchor, positive, negative = (vectors[[position[t] for t in column]] for column in columns)

    dimension = vectors.shape[1]
    weight = torch.nn.Parameter(torch.eye(dimension))
    optimizer = torch.optim.Adam([weight], lr=settings.learning_rate)
    generator = torch.Generator().manual_seed(seed)
    batch_size = min(settings.batch_size, triplets.num_rows)
    steps = settings.steps
    every = settings.logging_steps

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
    append_head(model, mapped, settings.weight / scale, without)
    seconds = time.perf_counter() - started
    return HeadStats(triplets.num_rows, len(texts), steps, before, after, seconds), log


def append_head(model, mapped, factor: float, without: np.ndarray | None = None) -> None:
    """Append ``Dense(d -> 2d)`` = ``[P; factor * mapped^T]`` and ``Normalize`` (after a ``Normalize`` if missing).

    ``P`` is the identity, or the projection that removes the directions ``without`` (orthonormal rows).
    """
    import torch
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize

    dimension = mapped.shape[0]
    if not isinstance(model[-1], Normalize):
        model.append(Normalize())  # the head reads unit vectors, as it was fitted on
    init = torch.cat([projection_without(dimension, without), factor * mapped.T]).contiguous()
    model.append(Dense(dimension, 2 * dimension, bias=False, activation_function=torch.nn.Identity(), init_weight=init))
    model.append(Normalize())


def projection_without(dimension: int, without: np.ndarray | None = None):
    """The ``dimension``-square identity, less the projection onto ``without``'s orthonormal rows if given."""
    import torch

    unmapped = torch.eye(dimension)
    if without is not None and len(without):
        basis = torch.from_numpy(np.asarray(without, dtype=np.float32))
        unmapped = unmapped - basis.T @ basis
    return unmapped
