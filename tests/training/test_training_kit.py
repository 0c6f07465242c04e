"""Issue 17's training side: text triplets chosen by training champions' labels only, kit cards weighed in
name inversion, and the embed_kit preset end to end on the fixture warehouse."""

from __future__ import annotations

import numpy as np
import pytest

from training.steps.text_triplets import label_triplets


def _champion(key, split, positions, classes, subclasses):
    return {
        "champion_key": key,
        "name": key,
        "positions": positions,
        "classes": classes,
        "subclasses": subclasses,
        "embedding_split": split,
    }


CHAMPIONS = [
    _champion("Garen", "train", ["Top"], ["Fighter"], ["Juggernaut"]),
    _champion("Darius", "train", ["Top"], ["Fighter"], ["Juggernaut"]),
    _champion("Jinx", "train", ["Bottom"], ["Marksman"], ["Marksman"]),
    _champion("Caitlyn", "train", ["Bottom"], ["Marksman"], ["Marksman"]),
    _champion("Leona", "train", ["Support"], ["Tank"], ["Vanguard"]),
    _champion("Sett", "heldout", ["Top"], ["Fighter"], ["Juggernaut"]),
    _champion("Ashe", "validation", ["Bottom"], ["Marksman"], ["Marksman"]),
]
TEXTS = [[f"{row['champion_key']} text {i}" for i in range(3)] for row in CHAMPIONS]


def _owner(text: str) -> dict:
    return next(row for row in CHAMPIONS if text.startswith(row["champion_key"] + " "))


def _shares(a: dict, b: dict, column: str) -> bool:
    return bool(set(a[column]) & set(b[column]))


def test_text_triplets_read_training_champions_only_and_follow_their_labels():
    rows = label_triplets(CHAMPIONS, TEXTS, ["subclass", "position"], per_champion=6, seed=3).to_pylist()
    assert len(rows) == 4 * 6  # Leona shares a subclass or position with no other training champion: no anchor
    for row in rows:
        anchor, positive, negative = (_owner(row[c]) for c in ("anchor", "positive", "negative"))
        assert {anchor["embedding_split"], positive["embedding_split"], negative["embedding_split"]} == {"train"}
        assert anchor is not positive
        assert _shares(anchor, positive, "subclasses") or _shares(anchor, positive, "positions")
        assert not any(_shares(anchor, negative, c) for c in ("positions", "classes", "subclasses"))


def test_held_out_labels_are_never_read():
    """Relabelling held-out and validation champions leaves every triplet as it was."""
    relabelled = [
        {**row, "positions": ["Jungle"], "classes": ["Tank"], "subclasses": ["Vanguard"]}
        if row["embedding_split"] != "train"
        else row
        for row in CHAMPIONS
    ]
    before = label_triplets(CHAMPIONS, TEXTS, ["subclass"], per_champion=4, seed=1)
    after = label_triplets(relabelled, TEXTS, ["subclass"], per_champion=4, seed=1)
    assert before.equals(after)


def test_card_weight_pulls_a_names_target_towards_its_cards():
    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.invert import description_targets

    model = load_sentence_transformer(minilm_path())
    texts = [["this champion throws a spear from far away.", "this champion is fragile and has low mobility."]]
    plain = description_targets(model, texts, 8)[0]
    weighted = description_targets(model, texts, 8, [[1.0, 3.0]])[0]
    a, b = model.encode(texts[0], normalize_embeddings=True)
    expected = (a + 3 * b) / np.linalg.norm(a + 3 * b)
    assert weighted == pytest.approx(expected, abs=1e-5)
    assert float(weighted @ b) > float(plain @ b)


def test_embed_kit_trains_the_reader_then_inverts_and_fits_the_head(project):
    from training.errors import TrainingDataError
    from training.runner import train

    fast = ["max_seq_length=48", "invert.steps=5", "head.steps=5", "text_triplets.per_champion=4"]
    # the fixture warehouse has no kit cards: the step names what is missing
    with pytest.raises(TrainingDataError, match="text_triplets: no triplet"):
        train(project, "embed", "embed_kit", overrides=fast)
    result = train(project, "embed", "embed_kit", overrides=[*fast, "text_triplets.sources=[]"])
    m = result.metrics
    assert m["text_triplets_rows"] > 0 and m["invert_names"] > 0 and m["head_steps"] == 5
    assert m["head_rows"] == m["train_rows"] + m["text_triplets_rows"]  # target head: the head fits on them too
    encoder = train(
        project, "embed", "embed_kit", overrides=[*fast, "text_triplets.sources=[]", "text_triplets.target=encoder"]
    )
    assert encoder.metrics["text_triplets_seconds"] > 0 and encoder.metrics["head_rows"] == m["train_rows"]
