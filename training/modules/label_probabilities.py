"""``LabelProbabilities``: the embedding, and beside it each label kind's class probabilities.

A softmax classifier per label kind (position, class, subclass), fitted on the training champions'
names (:mod:`training.steps.label_probabilities`), reads the unit embedding; the module outputs
``[P x ; weight / sqrt(kinds) * (softmax(W_1 x + b_1), ..., softmax(W_k x + b_k))]``, ``P`` the
identity or the projection that leaves the kit-card directions out (as the head's unmapped half
does).  Two champions' cosine after ``Normalize`` then weighs how alike their embeddings are and how
alike the classifiers' guesses about them are, held-out champions included.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from sentence_transformers.base.modules.module import Module
from torch import nn


class LabelProbabilities(Module):
    """The embedding beside per-kind class probabilities (weights fitted by the label_probabilities step)."""

    config_keys = ["dimension", "labels", "weight"]

    def __init__(self, dimension: int, labels: dict[str, list[str]], weight: float = 2.0):
        super().__init__()
        if not labels or any(len(values) < 2 for values in labels.values()):
            raise ValueError("label probabilities: every label kind needs at least two classes")
        self.dimension = dimension
        self.labels = {kind: list(values) for kind, values in labels.items()}
        self.weight = float(weight)
        self.sizes = [len(values) for values in self.labels.values()]
        self.unmapped = nn.Parameter(torch.eye(dimension), requires_grad=False)
        self.linear = nn.Linear(dimension, sum(self.sizes))

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = features["sentence_embedding"]
        probabilities = torch.cat(list(self.probabilities(x).values()), dim=-1)
        scale = self.weight / math.sqrt(len(self.sizes))
        features["sentence_embedding"] = torch.cat([x @ self.unmapped.T, scale * probabilities], dim=-1)
        return features

    def probabilities(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each kind's class probabilities for unit embeddings ``x`` (rows)."""
        blocks = self.linear(x).split(self.sizes, dim=-1)
        return {kind: block.softmax(dim=-1) for kind, block in zip(self.labels, blocks, strict=True)}

    def get_embedding_dimension(self) -> int:
        return self.dimension + sum(self.sizes)

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        self.save_config(output_path)
        self.save_torch_weights(output_path, safe_serialization=safe_serialization)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> LabelProbabilities:
        hub = {key: kwargs[key] for key in ("token", "cache_folder", "revision", "local_files_only") if key in kwargs}
        config = cls.load_config(model_name_or_path, subfolder=subfolder, **hub)
        module = cls(**config)
        return cls.load_torch_weights(model_name_or_path=model_name_or_path, model=module, subfolder=subfolder, **hub)
