"""Name inversion: a champion-name token is fitted so that the bare name embeds where its descriptions do."""

from __future__ import annotations

import pytest
import training_fixture_data as fixture_data

from training.steps.invert import Invert
from warehouse.settings import Vars
from warehouse.sql_functions.text import mask_terms

SETTINGS = Invert(steps=60, learning_rate=2e-2, min_chunks=2, batch_size=8)
MASK_TOKEN = Vars().mask_token

# Made-up names and masked descriptions: nothing else can tell the encoder what these names mean.
ASSASSIN = [
    "this champion dashes behind the enemy carry and bursts them down with hidden blades before vanishing.",
    "this champion waits in the shadows, then leaps onto an isolated mage and kills them in one combo.",
    "an assassin: stealth, a blink onto the target and lethal burst damage.",
]
SUPPORT = [
    "this champion shields allies and heals the whole team from the back line.",
    "as a support, this champion keeps the carry alive with heals, shields and a protective aura.",
    "restores health to nearby allies and grants them bonus armour.",
]


def _cos(a, b) -> float:
    import torch

    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def test_names_move_to_their_descriptions_and_nothing_else_changes():
    import torch
    from sentence_transformers import SentenceTransformer

    from training.bases import minilm_path
    from training.steps.invert import description_targets, invert_names

    model = SentenceTransformer(str(minilm_path()))
    names = ["Qarvex", "Ulmidra", "Borrik", "Vel'Tor", "Zenthal"]
    descriptions = [ASSASSIN, ASSASSIN[::-1], SUPPORT, SUPPORT[::-1], ["a single line is not enough."]]
    base_rows = model[0].auto_model.get_input_embeddings().weight.detach().clone()
    zenthal_pieces = model.tokenizer("Zenthal", add_special_tokens=False)["input_ids"]
    before = dict(zip(names, model.encode(names, convert_to_tensor=True, normalize_embeddings=True), strict=True))

    stats = invert_names(model, names, descriptions, SETTINGS)

    assert stats.inverted == 4 and stats.cosine_after > stats.cosine_before + 0.3, stats
    after = dict(zip(names, model.encode(names, convert_to_tensor=True, normalize_embeddings=True), strict=True))
    targets = torch.from_numpy(description_targets(model, descriptions[:4], 8))
    for name, target in zip(names, targets, strict=False):  # the four described names
        assert _cos(after[name], target) > _cos(before[name], target) + 0.2
    # names with the same kind of description are now neighbours
    assert _cos(after["Qarvex"], after["Ulmidra"]) > _cos(after["Qarvex"], after["Borrik"]) + 0.2
    assert _cos(after["Borrik"], after["Vel'Tor"]) > _cos(after["Borrik"], after["Qarvex"]) + 0.2
    # only the inverted names' rows moved: ordinary words and the under-described name did not
    table = model[0].auto_model.get_input_embeddings().weight.detach()
    assert torch.equal(table[: base_rows.shape[0]], base_rows)
    zenthal = model.tokenizer.convert_tokens_to_ids("zenthal")
    assert torch.allclose(table[zenthal], base_rows[zenthal_pieces].mean(0))
    assert all(
        p.requires_grad for p in model.parameters() if p is not model[0].auto_model.get_input_embeddings().weight
    )


def test_embed_with_inversion_fits_the_names_before_the_triplets_and_saves_them(project):
    from sentence_transformers import SentenceTransformer

    from training.runner import train

    champions = fixture_data.champion_rows()
    result = train(
        project,
        "embed",
        "embed_inverted",
        overrides=[
            "triplets.epochs=1",
            "triplets.batch_size=16",
            "max_seq_length=48",
            "invert.min_chunks=1",
            "invert.steps=20",
        ],
    )
    m = result.metrics
    described = {row["champion"] for row in fixture_data.chunk_rows() if row["champion"] and row["split"] == "train"}
    assert m["invert_names"] == len(described & {c["champion_key"] for c in champions}) > 0
    assert m["invert_cosine_after"] > m["invert_cosine_before"] and "heldout_subclass_5nn_inverted" in m
    reloaded = SentenceTransformer(str(result.output_path))
    assert reloaded.tokenizer.tokenize("Jinx") == ["jinx"]

    # after the triplets instead: the trained model reads the descriptions, and the saved names are the fitted ones
    after = train(
        project,
        "embed",
        "embed_inverted",
        overrides=[
            "triplets.epochs=1",
            "triplets.batch_size=16",
            "max_seq_length=48",
            "invert.min_chunks=1",
            "invert.steps=20",
            "steps=[triplets, invert]",
        ],
    )
    assert after.metrics["invert_cosine_after"] > after.metrics["invert_cosine_before"]
    import torch

    from training.steps.invert import description_targets

    reloaded = SentenceTransformer(str(after.output_path))
    described = [
        c
        for c in champions
        if any(r["champion"] == c["champion_key"] and r["split"] == "train" for r in fixture_data.chunk_rows())
    ]
    descriptions = [
        [
            mask_terms(r["text"], [c["name"], c["champion_key"]], MASK_TOKEN)
            for r in fixture_data.chunk_rows()
            if r["champion"] == c["champion_key"] and r["split"] == "train"
        ]
        for c in described
    ]
    targets = torch.from_numpy(description_targets(reloaded, descriptions, 8))
    names = reloaded.encode([c["name"] for c in described], convert_to_tensor=True, normalize_embeddings=True)
    cosine = float(torch.nn.functional.cosine_similarity(names, targets, dim=-1).mean())
    assert cosine == pytest.approx(
        after.metrics["invert_cosine_after"], abs=2e-3
    )  # the checkpoint holds the fitted names


def test_descriptions_are_each_champions_chunks_with_its_name_masked():
    import pyarrow as pa

    from training.embed import masked_descriptions

    champions = pa.Table.from_pylist(fixture_data.champion_rows())
    chunks = pa.Table.from_pylist(fixture_data.chunk_rows())
    terms = pa.table(
        {
            "champion": champions["champion_key"].to_pylist(),
            "mask_terms": [[row["name"], row["champion_key"]] for row in champions.to_pylist()],
        }
    )
    descriptions = masked_descriptions(champions, chunks, terms, MASK_TOKEN)
    assert len(descriptions) == champions.num_rows
    for row, texts in zip(champions.to_pylist(), descriptions, strict=True):
        own = [c["text"] for c in fixture_data.chunk_rows() if c["champion"] == row["champion_key"]]
        assert texts == [mask_terms(t, [row["name"], row["champion_key"]], MASK_TOKEN) for t in own]
        assert not any(row["name"] in t for t in texts)
    assert any(MASK_TOKEN in t for texts in descriptions for t in texts)
