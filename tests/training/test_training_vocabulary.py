"""Vocabulary adaptation: champion names become single tokens whose embeddings come from the corpus."""

from __future__ import annotations

import pytest
import training_fixture_data as fixture_data

from training.errors import PresetError
from training.steps.vocabulary import Vocabulary

SETTINGS = Vocabulary(min_mentions=3, mask_ratio=0.15, ridge=1.0, batch_size=8, max_seq_length=64)
SEED = 7

# Made-up names, so that nothing but these texts can tell the encoder what they are.
ASSASSIN = [
    "{n} dashes behind the enemy carry and bursts them down with hidden blades before vanishing.",
    "{n} waits in the shadows, then leaps onto an isolated mage and kills them in one combo.",
    "Playing {n}, roam through the fog of war and assassinate squishy targets with a stealth dash.",
    "{n} is an assassin: stealth, a blink onto the target and lethal burst damage.",
]
SUPPORT = [
    "{n} shields allies and heals the whole team from the back line.",
    "As a support, {n} keeps the carry alive with heals, shields and a protective aura.",
    "{n} restores health to nearby allies and grants them bonus armour.",
    "Stay behind your marksman as {n} and heal them through the enemy poke.",
]


def _texts() -> list[str]:
    texts = [t.format(n=name) for name in ("Qarvex", "Ulmidra") for t in ASSASSIN]
    texts += [t.format(n=name) for name in ("Borrik", "Vel'Tor") for t in SUPPORT]
    texts += ["The river splits the map; dragons and heralds spawn near it.", "Wards reveal the jungle around them."]
    return texts


def _cos(a, b) -> float:
    import torch

    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def test_names_become_single_tokens_learned_from_their_contexts():
    import torch
    from sentence_transformers import SentenceTransformer

    from training.bases import minilm_path
    from training.steps.vocabulary import adapt_vocabulary

    model = SentenceTransformer(str(minilm_path()))
    tokenizer = model.tokenizer
    names = ["Qarvex", "Ulmidra", "Borrik", "Vel'Tor", "Zenthal"]
    pieces_of_zenthal = tokenizer("Zenthal", add_special_tokens=False)["input_ids"]
    base_rows = model[0].auto_model.get_input_embeddings().weight.detach().clone()

    stats = adapt_vocabulary(model, names, _texts(), SETTINGS, SEED)

    assert all(tokenizer.tokenize(f"{name} wins lane") == [name.lower(), "wins", "lane"] for name in names)
    assert stats.mentions == 16 and stats.unadapted_names == ["Zenthal"] and stats.added_tokens == 5
    table = model[0].auto_model.get_input_embeddings().weight.detach()
    ids = dict(zip(names, tokenizer.convert_tokens_to_ids([n.lower() for n in names]), strict=True))
    # never mentioned: keeps the mean of its former word pieces; ordinary words are untouched
    assert torch.allclose(table[ids["Zenthal"]], base_rows[pieces_of_zenthal].mean(0))
    assert torch.equal(table[: base_rows.shape[0]], base_rows)
    # names read in the same kind of context end up closer than names read in different contexts
    e = {name: table[ids[name]] for name in names}
    assert _cos(e["Qarvex"], e["Ulmidra"]) > _cos(e["Qarvex"], e["Borrik"]) + 0.1
    assert _cos(e["Borrik"], e["Vel'Tor"]) > _cos(e["Borrik"], e["Ulmidra"]) + 0.1
    # and so do the sentence embeddings of the bare names
    bare = dict(zip(names, model.encode(names, convert_to_tensor=True, normalize_embeddings=True), strict=True))
    assert _cos(bare["Qarvex"], bare["Ulmidra"]) > _cos(bare["Qarvex"], bare["Borrik"])
    assert 0.0 <= stats.head_top1 <= 1.0


def test_embed_with_adaptation_freezes_tokens_and_saves_the_new_vocabulary(project):
    import torch
    from sentence_transformers import SentenceTransformer

    from training.bases import minilm_path
    from training.runner import train

    result = train(
        project,
        "embed",
        "embed_adapted",
        overrides=["triplets.epochs=1", "triplets.batch_size=16", "max_seq_length=48", "vocabulary.min_mentions=1"],
    )
    m = result.metrics
    assert m["adapt_names"] == len(fixture_data.champion_rows()) >= m["adapt_added_tokens"] > 0
    assert m["adapt_mentions"] > 0 and "heldout_subclass_5nn_adapted" in m

    reloaded = SentenceTransformer(str(result.output_path))
    assert reloaded.tokenizer.tokenize("Jinx") == ["jinx"]
    base = SentenceTransformer(str(minilm_path()))
    trained_rows = reloaded[0].auto_model.get_input_embeddings().weight
    base_rows = base[0].auto_model.get_input_embeddings().weight
    name_ids = reloaded.tokenizer.convert_tokens_to_ids([row["name"].lower() for row in fixture_data.champion_rows()])
    ordinary = torch.ones(base_rows.shape[0], dtype=torch.bool)
    ordinary[[i for i in name_ids if i < base_rows.shape[0]]] = False  # names already in the vocabulary were re-learned
    assert torch.equal(
        trained_rows[: base_rows.shape[0]][ordinary], base_rows[ordinary]
    )  # frozen through triplet training
    trained_layer = reloaded[0].auto_model.encoder.layer[0].attention.self.query.weight
    assert not torch.equal(trained_layer, base[0].auto_model.encoder.layer[0].attention.self.query.weight)


def test_adaptation_settings_are_checked(project, tiny_decoder):
    from training.runner import train

    with pytest.raises(
        PresetError,
        match=r"steps\[0\] must be a step: one of llm2vec, adapter, simcse, vocabulary, invert, triplets, head, "
        r"name_vectors, label_probabilities, merge, text_triplets"
        r", got 'bert2vec'",
    ):
        train(project, "embed", overrides=["steps=[bert2vec]"])
    with pytest.raises(PresetError, match=r"step 'vocabulary' works on encoder bases; .* is a decoder"):
        train(project, "embed", "embed_decoder", base=str(tiny_decoder), overrides=["steps=[vocabulary, triplets]"])
