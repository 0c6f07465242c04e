"""How much of position and subclass can a reader get from text, from kit cards, from the facts themselves?

On a built project (the real snapshot: `benchmarks/heldout_quality.py` builds one), per held-out
champion and per representation, this prints:
  * probe top-1: a logistic regression fitted on the training champions' primary labels; right when
    its top guess is one of the held-out champion's labels (the issue's 45% / 31% and 67% / 61%);
  * 5-NN same label and k-means AMI (25 restarts) among the held-out champions: what an embedder
    whose names sat exactly at that representation would score on ChampionPositionNeighbours,
    ChampionSubclassNeighbours and the clustering tasks;
  * the same two on the probe's predicted probabilities ("probe space": the best a linear head on
    that representation could hand the held-out names).
Representations: the mean embedding of each champion's masked crawled chunks, of its masked kit
cards, of both; the crawled mean plus the cards' contrasted offset (what `invert.card_contrast`
fits the names to, training/steps/invert.py:offset_targets); the non-label facts one-hot (attack
type, damage type, resource, ratings).  With
--model, the embeddings come from that checkpoint instead of the base MiniLM.

    .venv/bin/python benchmarks/kit_card_probe.py --project DIR [--model FOLDER] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

LABELS = {"position": "positions", "subclass": "subclasses", "class": "classes"}


def facts_matrix(con, keys: list[str]) -> np.ndarray:
    """One-hot of every allowed kit fact value (rules/kit_cards.yml's allowed_facts) per champion."""
    rows = con.execute(
        "SELECT champion, fact_type || '=' || value FROM main.champion_kit_card_hits",
    ).fetchall()
    columns = sorted({feature for _, feature in rows})
    index = {key: i for i, key in enumerate(keys)}
    matrix = np.zeros((len(keys), len(columns)), dtype=np.float32)
    for champion, feature in rows:
        if champion in index:
            matrix[index[champion], columns.index(feature)] = 1.0
    return matrix


def scores(train_x, train_rows, test_x, test_rows, label: str) -> dict[str, float]:
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_mutual_info_score

    column = LABELS[label]
    fit_y = [row[column][0] for row in train_rows]
    truth = [row[column][0] for row in test_rows]
    probe = LogisticRegression(max_iter=2000, C=1.0).fit(train_x, fit_y)
    guesses = probe.predict(test_x)
    top1 = float(np.mean([g in row[column] for g, row in zip(guesses, test_rows, strict=True)]))

    def space(x: np.ndarray) -> tuple[float, float]:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
        similarity = x @ x.T
        np.fill_diagonal(similarity, -np.inf)
        nearest = np.argsort(-similarity, axis=1)[:, :5]
        labels = np.array(truth)
        rate = float(np.mean(labels[nearest] == labels[:, None]))
        k = len(set(truth))
        ami = float(
            np.mean(
                [
                    adjusted_mutual_info_score(truth, KMeans(k, n_init=1, random_state=seed).fit_predict(x))
                    for seed in range(25)
                ]
            )
        )
        return rate, ami

    raw_nn, raw_ami = space(test_x - train_x.mean(axis=0))
    probe_nn, probe_ami = space(probe.predict_proba(test_x))
    return {"top1": top1, "nn5": raw_nn, "ami": raw_ami, "probe_nn5": probe_nn, "probe_ami": probe_ami}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--model", default="minilm", help="minilm or a sentence-transformers folder")
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON here")
    parser.add_argument(
        "--contrast", type=float, nargs="*", default=[3.0], help="card_contrast values to probe (default: 3)"
    )
    args = parser.parse_args()

    import duckdb

    from training.bases import load_sentence_transformer, minilm_path
    from training.data import read_champions, read_chunks, read_mask_terms
    from training.embed import masked_descriptions
    from training.steps.invert import description_targets, offset_targets
    from warehouse.project import Project

    project = Project.load(args.project)
    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        champions = read_champions(con)
        chunks = read_chunks(con, "chunk_id, champion, text, split, source")
        terms = read_mask_terms(con)
        keys = champions["champion_key"].to_pylist()
        facts = facts_matrix(con, keys)
    finally:
        con.close()
    mask = project.config["vars"]["mask_token"]
    model = load_sentence_transformer(minilm_path() if args.model == "minilm" else Path(args.model))
    is_card = np.array([s == "kit_card" for s in chunks["source"].to_pylist()])
    crawled = masked_descriptions(champions, chunks.filter(~is_card), terms, mask)
    cards = masked_descriptions(champions, chunks.filter(is_card), terms, mask)
    both = [a + b for a, b in zip(crawled, cards, strict=True)]
    crawled_means, card_means = description_targets(model, crawled, 64), description_targets(model, cards, 64)
    representations = {
        "crawled chunks (mean embedding)": crawled_means,
        "kit cards (mean embedding)": card_means,
        "crawled chunks + kit cards": description_targets(model, both, 64),
        **{
            f"crawled chunks + card offsets x{contrast:g}": offset_targets(crawled_means, card_means, contrast)[0]
            for contrast in args.contrast
        },
        "facts one-hot (no text)": facts,
    }
    rows = champions.to_pylist()
    train = [i for i, row in enumerate(rows) if row["embedding_split"] == "train"]
    test = [i for i, row in enumerate(rows) if row["embedding_split"] == "heldout"]
    report = {}
    print(f"model {args.model}; fitted on {len(train)} training champions, scored on {len(test)} held out")
    print("| representation | label | probe top-1 | 5-NN same | AMI | probe space 5-NN | probe space AMI |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, matrix in representations.items():
        for label in LABELS:
            got = scores(matrix[train], [rows[i] for i in train], matrix[test], [rows[i] for i in test], label)
            report.setdefault(name, {})[label] = got
            print(
                f"| {name} | {label} | {got['top1']:.3f} | {got['nn5']:.3f} | {got['ami']:.3f} "
                f"| {got['probe_nn5']:.3f} | {got['probe_ami']:.3f} |",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps({"model": args.model, "scores": report}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
