"""A cheap check of what bare champion names carry: k-nearest-neighbour label agreement.

For each champion of one ``embedding_split`` (``heldout`` by default: never in a
training triplet), embed its bare name, find its ``k`` nearest other champions
(cosine, among all champions) and count how many share its primary subclass /
primary position.  Chance is about 0.13 (subclass) and 0.21 (position) on the
real snapshot.  The evaluation package measures this properly with MTEB; this is
the number printed after each embed run and written into its model card.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa


def name_neighbour_rates(model: Any, champions: pa.Table, split: str = "heldout", k: int = 5) -> dict[str, float]:
    rows = champions.to_pylist()
    targets = [i for i, row in enumerate(rows) if row["embedding_split"] == split]
    if not targets or len(rows) <= k:
        return {}
    names = [row["name"] for row in rows]
    embeddings = model.encode(names, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, -np.inf)
    rates: dict[str, float] = {}
    for label, column in (("subclass", "subclasses"), ("position", "positions")):
        hits = []
        for i in targets:
            mine = (rows[i][column] or [None])[0]
            neighbours = np.argsort(-similarity[i])[:k]
            hits.append(np.mean([(rows[j][column] or [None])[0] == mine for j in neighbours]))
        rates[f"{split}_{label}_{k}nn"] = round(float(np.mean(hits)), 4)
    return rates
