"""The label_probabilities step (issue 17): softmax classifiers on the training champions' names, appended
beside the embedding as a module riftlab saves, reloads without running checkpoint code, and searches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from saved_modules import reloads_the_same


def test_fit_softmax_learns_a_separable_labelling_and_its_penalty_shrinks_the_weights():
    from training.steps.label_probabilities import fit_softmax

    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 3
    target = np.repeat(np.arange(3), 10)
    x = centres[target] + rng.normal(scale=0.3, size=(30, 8))
    weight, bias, accuracy = fit_softmax(x, target, 3, regularisation=1.0, steps=100)
    assert accuracy == 1.0 and weight.shape == (3, 8) and bias.shape == (3,)
    assert (np.argmax(centres @ weight.T + bias, axis=1) == np.arange(3)).all()
    strong, _, _ = fit_softmax(x, target, 3, regularisation=0.01, steps=100)
    assert np.linalg.norm(strong) < np.linalg.norm(weight)


def test_the_module_outputs_the_embedding_beside_each_kinds_probabilities(tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.label_probabilities import append_probabilities

    base = load_sentence_transformer(minilm_path())
    model = SentenceTransformer(modules=list(base))
    labels = {"position": ["Bottom", "Middle", "Top"], "class": ["Mage", "Marksman"]}
    rng = np.random.default_rng(1)
    weight, bias = rng.normal(size=(5, 384)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    direction = np.zeros((1, 384), dtype=np.float32)
    direction[0, 7] = 1.0
    append_probabilities(model, labels, weight, bias, 2.0, without=direction)
    texts = ["Jinx", "a ranged marksman who attacks from a distance"]
    raw = base.encode(texts, normalize_embeddings=True)
    out = model.encode(texts)
    assert out.shape == (2, 384 + 5)
    assert np.linalg.norm(out, axis=1) == pytest.approx(1.0, abs=1e-5)
    unmapped = raw.copy()
    unmapped[:, 7] = 0.0  # the card direction is left out of the embedding half
    logits = raw @ weight.T + bias
    probs = np.concatenate([np.exp(b) / np.exp(b).sum(axis=1, keepdims=True) for b in np.split(logits, [3], axis=1)], 1)
    expected = np.concatenate([unmapped, 2.0 / np.sqrt(2) * probs], axis=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert out == pytest.approx(expected, abs=1e-4)

    reloaded = reloads_the_same(
        model, tmp_path / "saved", "training.modules.label_probabilities.LabelProbabilities", texts
    )
    module = reloaded[-2]
    assert module.labels == labels
    with torch.no_grad():
        sums = [p.sum(dim=-1) for p in module.probabilities(torch.from_numpy(raw)).values()]
    assert all(torch.allclose(s, torch.ones(2)) for s in sums)


def test_the_step_fits_on_training_champions_only(project):
    from training.runner import train

    con = project.connect(read_only=True)
    try:
        champions = con.execute("SELECT embedding_split, positions, classes FROM main.champions").fetchall()
    finally:
        con.close()
    fast = ["max_seq_length=48", "invert.steps=5", "head.steps=5", "text_triplets.sources=[]"]
    result = train(project, "embed", "embed_kit", overrides=fast)
    config = json.loads(next(result.output_path.glob("*_LabelProbabilities/config.json")).read_text())
    for kind, column in (("position", 1), ("class", 2)):
        trained = {row[column][0] for row in champions if row[0] == "train" and row[column]}
        assert config["labels"][kind] == sorted(trained)  # validation and held-out labels are never read
    m = result.metrics
    assert m["label_probabilities_rows"] == sum(row[0] == "train" for row in champions)
    assert 0 < m["label_probabilities_position_train_accuracy"] <= 1
