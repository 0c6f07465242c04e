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


def test_card_contrast_moves_each_name_along_its_own_card_offset_and_keeps_cardless_names():
    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.invert import CARD_ENERGY, contrast_targets, description_targets

    model = load_sentence_transformer(minilm_path())
    crawled = [
        ["this champion throws a spear from far away.", "she hunts in the jungle at night."],
        ["he swings a huge axe at the front line.", "he pulls enemies in and cleaves them."],
        ["she heals and shields her allies.", "her song slows the enemy team."],
        ["a tiny yordle who rides a wolf.", "he jumps over walls to surprise enemies."],
    ]
    cards = [
        ["[MASK] is ranged and attacks from a distance."],
        ["[MASK] fights in melee range, up close to the enemy."],
        ["[MASK] offers allies a great deal of utility: heals, shields or buffs."],
        [],  # no kit card: keeps its crawled mean
    ]
    descriptions = [a + b for a, b in zip(crawled, cards, strict=True)]
    sources = [["wiki"] * len(a) + ["kit_card"] * len(b) for a, b in zip(crawled, cards, strict=True)]
    base = description_targets(model, crawled, 8)
    card = description_targets(model, [c or ["unused"] for c in cards], 8)

    unchanged, none = contrast_targets(model, descriptions, sources, 0.0, 8)
    assert unchanged == pytest.approx(base, abs=1e-5)  # contrast 0: the crawled means as they were

    targets, directions = contrast_targets(model, descriptions, sources, 3.0, 8)
    assert targets[3] == pytest.approx(base[3], abs=1e-5)
    assert np.linalg.norm(targets, axis=1) == pytest.approx(1.0, abs=1e-5)
    offsets = card[:3] - card[:3].mean(axis=0)
    for i in range(3):  # each name moves towards its own card's offset, away from the others'
        assert float(targets[i] @ offsets[i]) > float(base[i] @ offsets[i])
    assert directions @ directions.T == pytest.approx(np.eye(len(directions)), abs=1e-5)
    kept = np.square(offsets @ directions.T).sum() / np.square(offsets).sum()
    assert kept >= CARD_ENERGY - 1e-6 and len(directions) <= 3


def test_card_weight_and_card_contrast_are_exclusive():
    from pydantic import ValidationError

    from training.steps.invert import Invert

    assert Invert(card_contrast=3.0).card_weight == 1.0
    with pytest.raises(ValidationError, match="card_weight or card_contrast"):
        Invert(card_weight=4.0, card_contrast=3.0)
    with pytest.raises(ValidationError, match="card_split needs card_contrast"):
        Invert(card_split=True)
    with pytest.raises(ValidationError, match="card_sentences needs card_contrast"):
        Invert(card_sentences=True)


def test_card_sentences_embed_each_fact_alone():
    """With sentences, a name's card mean is the mean of its card sentences' embeddings, one per fact."""
    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.invert import card_sentences, contrast_targets

    model = load_sentence_transformer(minilm_path())
    profile = "[MASK] is ranged and attacks from a distance.  [MASK] spends mana on abilities."
    assert card_sentences(profile) == [
        "[MASK] is ranged and attacks from a distance.",
        "[MASK] spends mana on abilities.",
    ]
    descriptions = [
        ["she throws a spear from far away.", profile],
        ["he swings a huge axe.", "[MASK] fights in melee range, up close to the enemy. [MASK] has no resource."],
    ]
    sources = [["wiki", "kit_card"], ["wiki", "kit_card"]]
    whole, _ = contrast_targets(model, descriptions, sources, 1.0, 8)
    split, _ = contrast_targets(model, descriptions, sources, 1.0, 8, sentences=True)
    expected, _ = contrast_targets(  # the same as listing each sentence as a card of its own
        model,
        [[d[0], *card_sentences(d[1])] for d in descriptions],
        [["wiki", "kit_card", "kit_card"]] * 2,
        1.0,
        8,
    )
    assert split == pytest.approx(expected, abs=1e-5)
    assert not np.allclose(split, whole, atol=1e-3)


def test_a_split_fit_places_the_part_outside_the_card_directions_closer():
    """card_split: the crawled part of each target (outside the card directions) is fitted more closely than
    by one cosine over the whole target, whose larger card part would otherwise come first."""
    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.invert import Invert, invert_names

    names = ["Zorvath", "Quillane", "Brakka", "Ysolde"]
    descriptions = [["a"] * 2] * 4  # enough descriptions to be fitted; the targets below replace them
    rng = np.random.default_rng(1)
    model = load_sentence_transformer(minilm_path())
    d = model.get_embedding_dimension()
    base = model.encode(
        ["a spear thrower from the jungle", "an axe wielder of the front line", "a healer who sings", "a wolf rider"],
        normalize_embeddings=True,
    )
    directions = np.linalg.qr(rng.normal(size=(d, 3)))[0].T.astype(np.float32)
    targets = base + 3.0 * rng.normal(size=(4, 3)).astype(np.float32) @ directions / np.sqrt(3)
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)

    def outside_cosine(split) -> float:
        fitted = load_sentence_transformer(minilm_path())
        invert_names(fitted, names, descriptions, Invert(steps=40, card_contrast=1.0), targets=targets, split=split)
        got, goal = (v - v @ directions.T @ directions for v in (fitted.encode(names), targets))
        return float(np.mean(np.sum(got * goal, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(goal, axis=1)))

    split, whole = outside_cosine(directions), outside_cosine(None)
    assert split > whole + 0.02, (split, whole)


def test_the_heads_unmapped_half_leaves_the_card_directions_out():
    import torch
    from sentence_transformers.sentence_transformer.modules import Dense

    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.head import append_head

    model = load_sentence_transformer(minilm_path())
    d = model.get_embedding_dimension()
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(d, 2)))[0].T.astype(np.float32)  # two orthonormal rows
    append_head(model, torch.eye(d), 1.0, basis)
    dense = next(m for m in model if isinstance(m, Dense))
    unmapped = dense.linear.weight.detach().numpy()[:d]
    assert unmapped @ basis.T == pytest.approx(np.zeros((d, 2)), abs=1e-5)  # card directions: gone
    other = rng.normal(size=d).astype(np.float32)
    other -= basis.T @ (basis @ other)
    assert unmapped @ other == pytest.approx(other, abs=1e-5)  # the rest: as it was
