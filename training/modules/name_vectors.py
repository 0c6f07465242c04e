"""``NameVectors``: the embedding, and beside it a second fitted vector for each champion name a text holds.

Name inversion gives every champion name one token, and one token cannot sit both where its crawled
text embeds (what retrieval of a described kit needs) and where its kit facts set it apart (what
placing it by position and class needs): fitting both with one vector loses one of them
(docs/results.md).  This module holds the second vector: a table of one unit row per name token,
written by the ``name_vectors`` step from the champion's kit cards.  A text holding name tokens gets
``[x ; weight * v]``, ``v`` the unit mean of their rows; any other text gets ``[x ; 0]``.  Every name's
extra block has the same norm, so a text's cosine to each name, once normalised, ranks the names
exactly as ``x`` alone does, while two names' cosine adds how alike their kits are.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from training.modules.base import FittedModule


def name_shares(features: dict[str, Any], name_ids: torch.Tensor) -> torch.Tensor:
    """Per text (rows) and name (columns), the share of the text's name tokens that are that name (zero rows for a
    text without any)."""
    ids = features["input_ids"]
    hits = ids[..., None] == name_ids.to(ids.device)
    mask = features.get("attention_mask")
    if mask is not None:
        hits &= mask[..., None].bool()
    counts = hits.sum(dim=1).float()
    return counts / counts.sum(dim=-1, keepdim=True).clamp(min=1.0)


class NameVectors(FittedModule):
    """The embedding beside a fitted unit vector per champion-name token (zeros for texts without a name)."""

    config_keys = ["dimension", "name_ids", "width", "weight"]

    def __init__(self, dimension: int, name_ids: list[int], width: int, weight: float = 1.0):
        super().__init__()
        if not name_ids:
            raise ValueError("name vectors: no name token ids")
        self.dimension = dimension
        self.name_ids = [int(i) for i in name_ids]
        self.width = width
        self.weight = float(weight)
        self.register_buffer("ids", torch.tensor(self.name_ids, dtype=torch.long), persistent=False)
        self.vectors = nn.Parameter(torch.zeros(len(self.name_ids), width), requires_grad=False)

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = features["sentence_embedding"]
        mixed = name_shares(features, self.ids) @ self.vectors.to(x.dtype)
        block = torch.nn.functional.normalize(mixed, dim=-1)  # zero rows stay zero
        features["sentence_embedding"] = torch.cat([x, self.weight * block], dim=-1)
        return features

    def get_embedding_dimension(self) -> int:
        return self.dimension + self.width
