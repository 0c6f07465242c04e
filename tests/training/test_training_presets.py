"""Presets: every shipped preset loads, the seed's values are the issue's, overrides are typed."""

from __future__ import annotations

import pytest

from training.presets import CONFIGS_DIR, load_preset


@pytest.mark.parametrize("path", sorted(p for p in CONFIGS_DIR.glob("*.yaml") if not p.stem.startswith("lora_")), ids=lambda p: p.stem)
def test_every_shipped_preset_loads(path):
    stage = path.stem.split("_")[0]
    settings, name = load_preset(stage, path.stem)
    assert name == path.stem and settings["lora"]["r"] > 0


def test_seed_and_default_clm_presets():
    seed, _ = load_preset("clm", "clm_seed")
    assert seed["lora"] == {"r": 8, "alpha": 16, "dropout": 0.05, "bias": "none",
                            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}
    assert (seed["learning_rate"], seed["epochs"], seed["weight_decay"], seed["batch_size"], seed["grad_accum"], seed["precision"]) == (
        1e-5, 3, 0.01, 2, 4, "fp16")
    default, _ = load_preset("clm", "clm_default")
    assert default["packing"] and default["precision"] == "auto" and default["attn_implementation"] == "sdpa"
    assert default["batch_size"] * default["grad_accum"] >= 8 and default["gradient_checkpointing"] is None
    assert default["lora"]["target_modules"] == seed["lora"]["target_modules"]  # full-coverage LoRA preset


def test_overrides_are_parsed_as_yaml_and_lora_presets_apply():
    settings, _ = load_preset("clm", "clm_seed", ["learning_rate=3e-4", "lora_preset=light", "lora.r=2", "merge=true"])
    assert settings["learning_rate"] == 3e-4 and settings["merge"] is True
    assert settings["lora"]["target_modules"] == ["q_proj", "v_proj"] and settings["lora"]["r"] == 2


def test_corpus_pairs_mask_names_use_no_labels_and_keep_unseen_champions_out_unless_asked():
    import pyarrow as pa
    import training_fixture_data as data

    from training.embed import MASK_TOKEN, corpus_pairs, masked_descriptions
    from warehouse.sql_functions.text import mask_terms

    champions = pa.Table.from_pylist(data.champion_rows())
    chunks = pa.Table.from_pylist(data.chunk_rows())
    terms = pa.table({
        "champion": [row["champion_key"] for row in data.champion_rows()],
        "mask_terms": [[row["name"], row["champion_key"]] for row in data.champion_rows()],
    })
    splits = {row["name"]: row["embedding_split"] for row in data.champion_rows()}
    descriptions = masked_descriptions(champions, chunks, terms)
    strict = corpus_pairs(champions, descriptions, 2, "train", seed=1)
    assert strict.num_rows > 0 and {splits[n] for n in strict["anchor"].to_pylist()} == {"train"}
    everything = corpus_pairs(champions, descriptions, 2, "all", seed=1)
    assert {splits[n] for n in everything["anchor"].to_pylist()} == {"train", "validation", "heldout"}

    keys = {row["name"]: row["champion_key"] for row in data.champion_rows()}
    names = {row["champion_key"]: row["name"] for row in data.champion_rows()}
    about = {}  # masked text -> the champion it is about
    for row in data.chunk_rows():
        if row["champion"] in names:
            about[mask_terms(row["text"], [names[row["champion"]], row["champion"]], MASK_TOKEN)] = row["champion"]
    negatives_share_a_position = 0
    positions = {row["champion_key"]: set(row["positions"] or []) for row in data.champion_rows()}
    for anchor, positive, negative in zip(*(everything[c].to_pylist() for c in ("anchor", "positive", "negative"))):
        # the positive is one of the anchor's own chunks and the negative another champion's (whatever
        # its labels), both with the names hidden
        assert about[positive] == keys[anchor] and anchor not in positive
        assert about[negative] != keys[anchor] and names[about[negative]] not in negative
        negatives_share_a_position += bool(positions[about[negative]] & positions[keys[anchor]])
    assert negatives_share_a_position > 0  # random negatives, not label-chosen ones
    assert any(MASK_TOKEN in p for p in everything["positive"].to_pylist())
