"""Nearest champions, the way a draft analyst asks: "who plays like this one?" and "who fits this kit?".

:func:`by_name` ranks every other champion by the cosine of its name's embedding to the one named,
with the labels the two share (positions, classes, subclasses); :func:`by_text` embeds free text
("ranged, physical damage, low mobility") and ranks the champions it describes (:class:`KitSearch`).
``--model current`` is the promoted model (``riftlab promote``), else the newest finished embed run.
The evaluation report embeds the same search for every model, precomputed (:func:`table_for_page`).

A description is searched the way it is written: as a list of kit facts.  Each part ("ranged",
"physical damage", "low mobility") is matched to the kit-card sentence of each champion
(``main.champion_kit_card_hits``, one sentence per fact) it is nearest to, by the model's reader
(the model without its label heads) plus the share of the part's words the sentence uses; a
sentence encoder alone hears "very durable" close to "moderately durable" (hybrid dense and lexical
search).  A part no card sentence fits ("hook": the cards state no ability), and every part when the
warehouse has no kit cards, scores a champion by the cosine of its name and the part instead, in the
reader too (where retrieval compares text with names).  A champion scores the mean over the parts,
plus a small share of the cosine between its name and the whole description, which orders champions
whose cards match equally well.
"""

from __future__ import annotations

import re
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


#: how much a query part's word overlap with a card sentence adds to their cosine
WORD_WEIGHT = 0.5
#: how much the cosine of a champion's name and the whole description adds to its kit match
NAME_WEIGHT = 0.1
#: a query part names a card fact when its best fit with any card sentence reaches this; other parts
#: ("hook", "global ultimate": nothing a card says) are scored by the names' cosine to them instead
FACT_FIT = 0.75
QUERY_PARTS = re.compile(r"[,;:\n]|\band\b")
STOPWORDS = frozenset("a an the of and or to with this champion is are has have on for in at by from".split())
THIS_CHAMPION = "This champion"
#: the modules riftlab's head steps append after a model's Normalize (:func:`reader` leaves them out)
HEAD_MODULES = ("Dense", "LabelProbabilities", "NameVectors")


@dataclass
class Neighbour:
    key: str
    name: str
    score: float  # by name: the cosine of the two names; by text: the kit match (see the module docstring)
    shared: dict[str, list[str]] = field(default_factory=dict)  # label kind -> values shared with the query
    matched: list[str] = field(default_factory=list)  # by text: the kit-card rule each query part matched


@dataclass
class KitSentence:
    rule: str  # the kit_cards.yml rule that wrote it
    text: str  # with the champion's name replaced by "This champion"


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


def kit_sentences(con) -> dict[str, list[KitSentence]]:
    """Each champion's kit-card sentences by key (``main.champion_kit_card_hits``); empty without kit cards."""
    if not table_exists(con, "main", "champion_kit_card_hits"):
        return {}
    found: dict[str, list[KitSentence]] = {}
    for key, rule, text in con.execute(
        "SELECT h.champion, h.rule, replace(h.sentence, c.name, ?) FROM main.champion_kit_card_hits h "
        "JOIN main.champions c ON c.champion_key = h.champion ORDER BY h.champion, h.rule_no",
        [THIS_CHAMPION],
    ).fetchall():
        found.setdefault(key, []).append(KitSentence(rule, text))
    return found


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


def reader(model):
    """``model`` without the label heads riftlab's embed steps append after its ``Normalize`` (``Dense``,
    ``LabelProbabilities`` and what follows): a head maps names into a label space; text is compared with
    text in the space the encoder reads in."""
    from sentence_transformers import SentenceTransformer

    modules = list(model)
    names = [type(module).__name__ for module in modules]
    normalized = names.index("Normalize") if "Normalize" in names else len(names)
    heads = [i for i, name in enumerate(names) if i > normalized and name in HEAD_MODULES]
    if not heads:
        return model
    return SentenceTransformer(modules=modules[: heads[0]], device=str(model.device))


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS}


def query_parts(text: str) -> list[str]:
    """The facts a description lists: "ranged, physical damage and low mobility" -> three parts."""
    return [part.strip() for part in QUERY_PARTS.split(text) if part.strip()] or [text.strip()]


def shared_labels(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[str]]:
    return {kind: sorted(set(a[kind] or []) & set(b[kind] or [])) for kind in LABELS}


def ranked(
    rows: list[dict[str, Any]],
    scores: np.ndarray,
    k: int,
    skip: int | None = None,
    matched: list[list[str]] | None = None,
) -> list[Neighbour]:
    order = [j for j in np.argsort(-scores, kind="stable") if j != skip][:k]
    query = rows[skip] if skip is not None else None
    return [
        Neighbour(
            rows[j]["champion_key"],
            rows[j]["name"],
            float(scores[j]),
            shared_labels(query, rows[j]) if query is not None else {},
            matched[j] if matched is not None else [],
        )
        for j in order
    ]


def by_name(model, rows: list[dict[str, Any]], name: str, k: int, vectors: np.ndarray | None = None) -> list[Neighbour]:
    """The ``k`` champions whose names embed nearest to ``name``'s, with the labels they share with it."""
    i = find(rows, name)
    vectors = embed_names(model, rows) if vectors is None else vectors
    return ranked(rows, vectors @ vectors[i], k, skip=i)


class KitSearch:
    """The kit search of one model: its reader, every name and kit-card sentence embedded once, and each
    sentence's words, so that any number of descriptions are searched without embedding them again.

    Text is compared with names where retrieval compares them, in the reader: a checkpoint's label heads
    (a head's mapped half, name vectors, label probabilities) place names by label, which a description
    does not share.
    """

    def __init__(self, model, rows: list[dict[str, Any]], cards: dict[str, list[KitSentence]]):
        self.rows = rows
        self.cards = cards
        self.reader = reader(model)
        self.names = embed_names(self.reader, rows)
        self.sentences = sorted({s.text for key in cards for s in cards[key]})
        self.index = {sentence: i for i, sentence in enumerate(self.sentences)}
        self.sentence_words = [words(sentence) for sentence in self.sentences]
        self.sentence_vectors = (
            np.asarray(self.reader.encode(self.sentences, normalize_embeddings=True, show_progress_bar=False))
            if self.sentences
            else None
        )

    def match(self, parts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, list[list[str]], list[bool]]:
        """Per champion and query part (``vectors``: the parts embedded), the best (cosine + WORD_WEIGHT x word
        overlap) with one of its kit-card sentences (rows x parts; zeros without cards), the rule of each part's
        best sentence, and whether each part names a card fact at all (its best fit over every sentence reaches
        FACT_FIT)."""
        fits = np.zeros((len(self.rows), len(parts)))
        matched: list[list[str]] = [[] for _ in self.rows]
        if self.sentence_vectors is None:
            return fits, matched, [False] * len(parts)
        overlap = np.array([[len(w & s) / max(len(w), 1) for s in self.sentence_words] for w in map(words, parts)])
        fit = vectors @ self.sentence_vectors.T + WORD_WEIGHT * overlap  # parts x sentences
        for i, row in enumerate(self.rows):
            own = self.cards.get(row["champion_key"], [])
            if own:
                columns = fit[:, [self.index[s.text] for s in own]]
                fits[i] = columns.max(axis=1)
                matched[i] = [own[j].rule for j in columns.argmax(axis=1)]
        return fits, matched, list(fit.max(axis=1) >= FACT_FIT)

    def rank(self, text: str, k: int) -> list[Neighbour]:
        """The ``k`` champions the free text ``text`` describes best.  Each part of it scores a champion by its
        kit cards' best match (:meth:`match`) when the part names a card fact, else by the cosine of the
        champion's name and the part; a champion's score is the mean over parts, plus NAME_WEIGHT x the
        cosine of its name and the whole text.  Each result lists the card fact each fact part matched."""
        if not text.strip():
            raise EvaluationError(
                "--kit: give a description, for example --kit 'ranged, physical damage, low mobility'"
            )
        parts = query_parts(text)
        queries = np.asarray(self.reader.encode([text, *parts], normalize_embeddings=True, show_progress_bar=False))
        fits, matched, facts = self.match(parts, queries[1:])
        per_part = np.where(np.asarray(facts)[None, :], fits, self.names @ queries[1:].T)
        named = [  # a champion without cards matched nothing
            list(dict.fromkeys(r for r, fact in zip(rules, facts, strict=True) if fact)) if rules else []
            for rules in matched
        ]
        return ranked(self.rows, per_part.mean(axis=1) + NAME_WEIGHT * (self.names @ queries[0]), k, matched=named)


def by_text(
    model, rows: list[dict[str, Any]], text: str, k: int, cards: dict[str, list[KitSentence]]
) -> list[Neighbour]:
    """The ``k`` champions the free text ``text`` describes best (:meth:`KitSearch.rank`)."""
    return KitSearch(model, rows, cards).rank(text, k)


def table_for_page(model, rows: list[dict[str, Any]], k: int, cards: dict[str, list[KitSentence]]) -> dict[str, Any]:
    """What the report's offline search reads: every champion's ``k`` nearest, and each of :data:`KIT_PHRASES`'."""
    vectors = embed_names(model, rows)
    kits = KitSearch(model, rows, cards)

    def plain(items: list[Neighbour]) -> list[list[Any]]:
        return [
            [n.name, round(n.score, 3), [v for kind in LABELS for v in n.shared.get(kind, [])] or n.matched]
            for n in items
        ]

    return {
        "names": {row["name"]: plain(by_name(model, rows, row["name"], k, vectors)) for row in rows},
        "kits": {phrase: plain(kits.rank(phrase, k)) for phrase in KIT_PHRASES},
    }
