"""Nearest champions, the way a draft analyst asks: "who plays like this one?" and "who fits this kit?".

:func:`by_name` ranks every other champion by the cosine of its name's embedding to the one named,
with the labels the two share (positions, classes, subclasses); :func:`by_text` embeds free text
("ranged, physical damage, low mobility") and ranks the champion names against it.  ``--model
current`` is the promoted model (``riftlab promote``), else the newest finished embed run.  The
evaluation report embeds the same search for every model, precomputed (:func:`table_for_page`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluation import models
from evaluation.errors import EvaluationError
from warehouse.db import table_exists
from warehouse.errors import did_you_mean

CURRENT = "current"
LABELS = ("positions", "classes", "subclasses")
#: kit descriptions the offline page offers (free text needs the model, which a static page does not hold)
KIT_PHRASES = (
    "ranged, physical damage, low mobility",
    "ranged, magic damage, a lot of crowd control",
    "melee, very durable, a lot of crowd control",
    "melee, physical damage, highly mobile, fragile",
    "offers allies a great deal of utility: heals, shields or buffs",
    "melee, magic damage, hard to kill",
)


@dataclass
class Neighbour:
    key: str
    name: str
    cosine: float
    shared: dict[str, list[str]] = field(default_factory=dict)  # label kind -> values shared with the query


def champions(con) -> list[dict[str, Any]]:
    """main.champions' keys, names and labels, in key order."""
    if not table_exists(con, "main", "champions"):
        raise EvaluationError("the warehouse has no main.champions: run `riftlab build` first")
    cursor = con.execute(
        "SELECT champion_key, name, positions, classes, subclasses, embedding_split FROM main.champions "
        "ORDER BY champion_key"
    )
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if not rows:
        raise EvaluationError("main.champions is empty: crawl champion facts and run `riftlab build`")
    return rows


def resolve(reference: str, con) -> models.ModelRef:
    """``current`` (the promoted model, else the newest finished embed run) or whatever ``--model`` takes."""
    if reference != CURRENT:
        return models.resolve(reference, con)
    from evaluation.promotion import current_model

    promoted = current_model(con) if table_exists(con, "meta", "promotions") else None
    if promoted:
        return models.resolve(promoted, con)
    latest = models.latest_embed_run(con)
    if latest is None:
        raise EvaluationError(
            "--model current: no promoted model and no finished embed run; train one (`riftlab train embed`) "
            "or pass --model minilm"
        )
    return models.resolve(latest["run_id"], con)


def find(rows: list[dict[str, Any]], name: str) -> int:
    """The index of the champion ``name`` names (display name or key, any case), or one clear error."""
    wanted = name.strip().casefold()
    for i, row in enumerate(rows):
        if wanted in (row["name"].casefold(), row["champion_key"].casefold()):
            return i
    raise EvaluationError(f"no champion named '{name}'{did_you_mean(name, [row['name'] for row in rows])}")


def embed_names(model, rows: list[dict[str, Any]], batch_size: int = 64) -> np.ndarray:
    """Unit vectors of every champion's display name."""
    return np.asarray(
        model.encode(
            [row["name"] for row in rows], batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
    )


def shared_labels(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[str]]:
    return {kind: sorted(set(a[kind] or []) & set(b[kind] or [])) for kind in LABELS}


def ranked(rows: list[dict[str, Any]], scores: np.ndarray, k: int, skip: int | None = None) -> list[Neighbour]:
    order = [j for j in np.argsort(-scores, kind="stable") if j != skip][:k]
    query = rows[skip] if skip is not None else None
    return [
        Neighbour(
            rows[j]["champion_key"],
            rows[j]["name"],
            float(scores[j]),
            shared_labels(query, rows[j]) if query is not None else {},
        )
        for j in order
    ]


def by_name(model, rows: list[dict[str, Any]], name: str, k: int, vectors: np.ndarray | None = None) -> list[Neighbour]:
    """The ``k`` champions whose names embed nearest to ``name``'s, with the labels they share with it."""
    i = find(rows, name)
    vectors = embed_names(model, rows) if vectors is None else vectors
    return ranked(rows, vectors @ vectors[i], k, skip=i)


def by_text(model, rows: list[dict[str, Any]], text: str, k: int, vectors: np.ndarray | None = None) -> list[Neighbour]:
    """The ``k`` champions whose names embed nearest to the free text ``text``."""
    if not text.strip():
        raise EvaluationError("--kit: give a description, for example --kit 'ranged, physical damage, low mobility'")
    vectors = embed_names(model, rows) if vectors is None else vectors
    query = np.asarray(model.encode([text], normalize_embeddings=True, show_progress_bar=False))[0]
    return ranked(rows, vectors @ query, k)


def table_for_page(model, rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """What the report's offline search reads: every champion's ``k`` nearest, and each of :data:`KIT_PHRASES`'."""
    vectors = embed_names(model, rows)

    def plain(items: list[Neighbour]) -> list[list[Any]]:
        return [[n.name, round(n.cosine, 3), [v for kind in LABELS for v in n.shared.get(kind, [])]] for n in items]

    return {
        "names": {row["name"]: plain(by_name(model, rows, row["name"], k, vectors)) for row in rows},
        "kits": {phrase: plain(by_text(model, rows, phrase, k, vectors)) for phrase in KIT_PHRASES},
    }
