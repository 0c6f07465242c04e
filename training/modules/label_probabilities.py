"""``LabelProbabilities``: the embedding, and beside it each label kind's class probabilities.

A softmax classifier per label kind (position, class, subclass), fitted on the training champions'
names (:mod:`training.steps.label_probabilities`), reads the unit embedding; the module outputs
``[P x ; weight / sqrt(kinds) * (softmax(W_1 x + b_1), ..., softmax(W_k x + b_k))]``, ``P`` the
identity or the projection that leaves the kit-card directions out (as the head's unmapped half
does).  Two champions' cosine after ``Normalize`` then weighs how alike their embeddings are and how
alike the classifiers' guesses about them are, held-out champions included.

With ``name_ids`` (the champion-name tokens) the classifiers, fitted on names, speak for names only:
a text without a name token gets zero probabilities, and a name gets the square roots of its
probabilities (unit vectors, whose dot product is the Bhattacharyya coefficient of two guesses).
Every name's probability block then has the same norm, so a text ranks the names exactly as ``P x``
does: retrieval is untouched.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from training.modules.base import FittedModule
from training.modules.name_vectors import name_shares


class LabelProbabilities(FittedModule):
    """The embedding beside per-kind class probabilities (weights fitted by the label_probabilities step)."""

    config_keys = ["dimension", "labels", "weight", "name_ids"]

    def __init__(
        self, dimension: int, labels: dict[str, list[str]], weight: float = 2.0, name_ids: list[int] | None = None
    ):
        super().__init__()
        if not labels or any(len(values) < 2 for values in labels.values()):
            raise ValueError("label probabilities: every label kind needs at least two classes")
        self.dimension = dimension
        self.labels = {kind: list(values) for kind, values in labels.items()}
        self.weight = float(weight)
        self.name_ids = None if name_ids is None else [int(i) for i in name_ids]
        self.sizes = [len(values) for values in self.labels.values()]
        self.unmapped = nn.Parameter(torch.eye(dimension), requires_grad=False)
        self.linear = nn.Linear(dimension, sum(self.sizes))
        ids = torch.tensor(self.name_ids or [], dtype=torch.long)
        self.register_buffer("ids", ids, persistent=False)

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = features["sentence_embedding"]
        probabilities = torch.cat(list(self.probabilities(x).values()), dim=-1)
        if self.name_ids is not None:
            named = (name_shares(features, self.ids).sum(dim=-1, keepdim=True) > 0).to(x.dtype)
            probabilities = named * probabilities.sqrt()
        scale = self.weight / math.sqrt(len(self.sizes))
        features["sentence_embedding"] = torch.cat([x @ self.unmapped.T, scale * probabilities], dim=-1)
        return features

    def probabilities(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each kind's class probabilities for unit embeddings ``x`` (rows)."""
        blocks = self.linear(x).split(self.sizes, dim=-1)
        return {kind: block.softmax(dim=-1) for kind, block in zip(self.labels, blocks, strict=True)}

    def get_embedding_dimension(self) -> int:
        return self.dimension + sum(self.sizes)
