"""Label probabilities: a softmax classifier per label kind on the training champions' names, appended
beside the embedding (:class:`training.modules.LabelProbabilities`).

The head step fits a linear map with a ranking loss on triplets; a held-out champion's place then
depends on how that map stretches the whole space.  A probe that reads the same inverted names with
a logistic regression (benchmarks/kit_card_probe.py) places held-out champions by position better in
the space of its predicted probabilities than the triplet head does in its own, so this step appends
those probabilities themselves.  Only champions of the ``train`` embedding split are read, each by
its primary label of each kind; validation and held-out labels never are.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from training.errors import TrainingDataError
from training.steps.base import Step

if TYPE_CHECKING:
    from training.embed import EmbedState

#: a label kind -> its main.champions column
KINDS = {"position": "positions", "class": "classes", "subclass": "subclasses"}


class LabelProbabilitiesStep(Step):
    """Per label kind, class probabilities from a softmax fitted on the training champions' names."""

    name: ClassVar[str] = "label_probabilities"

    kinds: list[Literal["position", "class", "subclass"]] = Field(
        default_factory=lambda: ["position", "class", "subclass"], min_length=1
    )
    weight: float = Field(2.0, gt=0)
    """The probabilities' scale beside the unit embedding (divided by the square root of the kinds)."""
    regularisation: float = Field(1.0, gt=0)
    """Inverse L2 strength, as scikit-learn's C: the loss is C x the summed cross-entropy + |W|^2 / 2."""
    steps: int = Field(200, ge=1)
    """L-BFGS iterations per kind."""
    names_only: bool = False
    """Give probabilities to texts holding a champion name only, as square roots (unit vectors): every name's
    block then has the same norm, and a text without a name ranks the names as the embedding alone does
    (retrieval is untouched).  Needs each name as one token (invert or vocabulary first)."""

    def apply(self, state: EmbedState) -> None:
        started = time.perf_counter()
        rows = [row for row in state.data.champions.to_pylist() if row["embedding_split"] == "train"]
        model = state.model
        x = np.asarray(model.encode([row["name"] for row in rows], normalize_embeddings=True, show_progress_bar=False))
        labels: dict[str, list[str]] = {}
        weights, biases = [], []
        for kind in self.kinds:
            primary = [(row[KINDS[kind]] or [None])[0] for row in rows]
            keep = [i for i, value in enumerate(primary) if value is not None]
            classes = sorted({primary[i] for i in keep})
            if len(classes) < 2:
                raise TrainingDataError(
                    f"label_probabilities: the training champions have {len(classes)} {kind} label(s); a classifier "
                    f"needs two or more (drop '{kind}' from label_probabilities.kinds)"
                )
            target = np.array([classes.index(primary[i]) for i in keep])
            w, b, accuracy = fit_softmax(x[keep], target, len(classes), self.regularisation, self.steps)
            labels[kind] = classes
            weights.append(w)
            biases.append(b)
            state.metrics[f"label_probabilities_{kind}_train_accuracy"] = round(accuracy, 4)
        directions = state.card_directions  # they describe the inverted names' space, not a head's output
        if directions is not None and np.shape(directions)[1] != x.shape[1]:
            directions = None
        name_ids = None
        if self.names_only:
            from training.steps.vocabulary import name_token_ids

            name_ids = name_token_ids(model[0].tokenizer, state.data.champions["name"].to_pylist(), self.name)
        append_probabilities(
            model, labels, np.concatenate(weights), np.concatenate(biases), self.weight, directions, name_ids
        )
        seconds = time.perf_counter() - started
        state.metrics.update({"label_probabilities_rows": len(rows), "label_probabilities_seconds": round(seconds, 1)})
        state.console.print(
            f"label probabilities: {', '.join(f'{k} ({len(v)} classes)' for k, v in labels.items())} fitted on "
            f"{len(rows)} training champions' names in {seconds:.0f}s"
        )


def fit_softmax(
    x: np.ndarray, target: np.ndarray, classes: int, regularisation: float, steps: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Multinomial logistic regression (L-BFGS, L2 on the weights): weights (classes, d), bias, train accuracy."""
    import torch

    features = torch.from_numpy(np.asarray(x, dtype=np.float32))
    labels = torch.from_numpy(target).long()
    weight = torch.zeros(classes, features.shape[1], requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Any:
        optimizer.zero_grad()
        logits = features @ weight.T + bias
        loss = regularisation * torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
        loss = loss + 0.5 * weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        accuracy = float(((features @ weight.T + bias).argmax(dim=1) == labels).float().mean())
    return weight.detach().numpy(), bias.detach().numpy(), accuracy


def append_probabilities(
    model,
    labels: dict[str, list[str]],
    weight: np.ndarray,
    bias: np.ndarray,
    scale: float,
    without=None,
    name_ids: list[int] | None = None,
) -> None:
    """Append ``LabelProbabilities`` (after a ``Normalize`` if missing) and ``Normalize``; ``without``
    (orthonormal rows) is projected out of the embedding half; ``name_ids``: probabilities for names only."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Normalize

    from training.modules import LabelProbabilities
    from training.steps.head import projection_without

    if not isinstance(model[-1], Normalize):
        model.append(Normalize())  # the classifiers were fitted on unit vectors
    module = LabelProbabilities(weight.shape[1], labels, scale, name_ids)
    with torch.no_grad():
        module.linear.weight.copy_(torch.from_numpy(weight))
        module.linear.bias.copy_(torch.from_numpy(bias))
        module.unmapped.copy_(projection_without(weight.shape[1], without))
    model.append(module)
    model.append(Normalize())
