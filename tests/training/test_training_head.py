"""Label head: a linear map fitted on triplets over the frozen embedding, appended beside it."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
import training_fixture_data as fixture_data

from training.steps.head import Head

SETTINGS = Head(steps=150, learning_rate=1e-2, weight=2.0, batch_size=8, logging_steps=10, encode_batch_size=16)
SEED = 0

# Two groups the map must learn from a few members and carry to members it never saw.  The
# encoder reads them by topic (food, weather), not by the grouping the triplets teach.
GROUP_A = [
    "the soup was served cold",
    "it rained all afternoon",
    "a loaf of bread on the table",
    "snow fell on the hills",
    "she cooked rice with garlic",
    "thunder rolled across the valley",
]
GROUP_B = [
    "the train left at noon",
    "he painted the fence green",
    "a cyclist climbed the pass",
    "they repainted the old barn",
    "the bus was late again",
    "a mural covered the wall",
]
# held back from the triplets: the head has never seen these
UNSEEN_A = ["pasta boiled in salted water", "fog covered the harbour"]
UNSEEN_B = ["the ferry crossed the bay", "she sketched a portrait in charcoal"]


def _triplets() -> pa.Table:
    rows = []
    for group, other in ((GROUP_A, GROUP_B), (GROUP_B, GROUP_A)):
        for i, anchor in enumerate(group):
            for j, positive in enumerate(group):
                if i != j:
                    rows.append({"anchor": anchor, "positive": positive, "negative": other[(i + j) % len(other)]})
    return pa.Table.from_pylist(rows)


def _within_minus_across(model, a: list[str], b: list[str]) -> float:
    va = model.encode(a, convert_to_tensor=True, normalize_embeddings=True)
    vb = model.encode(b, convert_to_tensor=True, normalize_embeddings=True)
    within = (
        float((va @ va.T).fill_diagonal_(0).sum()) / (len(a) * (len(a) - 1))
        + float((vb @ vb.T).fill_diagonal_(0).sum()) / (len(b) * (len(b) - 1))
    ) / 2
    return within - float((va @ vb.T).mean())


def test_the_head_learns_the_grouping_carries_it_to_unseen_texts_and_keeps_the_embedding(tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.head import fit_label_head

    model = SentenceTransformer(str(minilm_path()))
    probe = ["a quiet morning", *UNSEEN_A, *UNSEEN_B]
    original = model.encode(probe, convert_to_tensor=True, normalize_embeddings=True)
    gap_before = _within_minus_across(model, UNSEEN_A, UNSEEN_B)

    stats, log = fit_label_head(model, _triplets(), SETTINGS, SEED)

    assert stats.loss_after < stats.loss_before - 0.5, stats
    assert [entry["step"] for entry in log] == list(range(10, 151, 10)) and all("head_loss" in e for e in log)
    assert [type(m).__name__ for m in model][-2:] == ["Dense", "Normalize"]
    # the learned grouping holds for texts never in a triplet
    assert _within_minus_across(model, UNSEEN_A, UNSEEN_B) > gap_before + 0.05
    # the first half is the embedding as it was (what retrieval keeps), the output is unit-length
    new = model.encode(probe, convert_to_tensor=True)
    d = original.shape[1]
    assert new.shape[1] == 2 * d
    assert torch.allclose(torch.nn.functional.normalize(new[:, :d], dim=-1), original, atol=1e-5)
    assert torch.allclose(new.norm(dim=-1), torch.ones(len(probe)), atol=1e-5)
    # saved and reloaded as standard sentence-transformers modules, same vectors
    model.save(str(tmp_path / "headed"))
    reloaded = load_sentence_transformer(tmp_path / "headed")
    assert torch.allclose(reloaded.encode(probe, convert_to_tensor=True), new, atol=1e-5)
    modules = json.loads((tmp_path / "headed" / "modules.json").read_text())
    assert all(m["type"].startswith("sentence_transformers.") for m in modules)


def test_no_triplets_is_a_clear_error():
    from sentence_transformers import SentenceTransformer

    from training.bases import minilm_path
    from training.steps.head import fit_label_head

    model = SentenceTransformer(str(minilm_path()))
    with pytest.raises(ValueError, match="no training triplets"):
        fit_label_head(model, _triplets().slice(0, 0), SETTINGS, SEED)


def test_embed_head_preset_inverts_fits_the_head_alone_and_records_it(project):
    from training.bases import load_sentence_transformer
    from training.runner import train

    result = train(
        project,
        "embed",
        "embed_head",
        overrides=[
            "head.steps=40",
            "head.batch_size=16",
            "max_seq_length=48",
            "invert.min_chunks=1",
            "invert.steps=20",
            "head.logging_steps=5",
        ],
    )

    m = result.metrics
    assert m["head_loss_after"] < m["head_loss_before"] and m["head_steps"] == 40
    # every described champion is inverted, those whose text lies only in the corpus validation split too
    chunks = fixture_data.chunk_rows()
    described = {row["champion"] for row in chunks} & {c["champion_key"] for c in fixture_data.champion_rows()}
    only_validation = described - {row["champion"] for row in chunks if row["split"] == "train"}
    assert only_validation and m["invert_names"] == len(described)
    assert "train_loss" not in m  # no triplets step: the encoder is not trained on the triplets
    history = json.loads((result.output_path / "log_history.json").read_text())
    assert [e["step"] for e in history] == list(range(5, 41, 5))
    assert (result.output_path / "loss_curves.png").stat().st_size > 1000
    reloaded = load_sentence_transformer(result.output_path)
    assert reloaded.encode(["Jinx"]).shape == (1, 768)
    assert reloaded.tokenizer.tokenize("Jinx") == ["jinx"]  # the inverted name token is kept


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("head.weight=0", "head.weight must be above 0"),
        ("head.steps=0", "head.steps must be 1 or more"),
        ("triplets.epochs=1", "the preset has no 'triplets' step"),
    ],
)
def test_bad_head_settings_name_the_key(project, override, message):
    from training.errors import PresetError
    from training.runner import train

    with pytest.raises(PresetError, match=message):
        train(project, "embed", "embed_head", overrides=[override])
