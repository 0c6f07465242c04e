"""Presets: every shipped preset loads, the seed's values are the issue's, every key is checked to the value."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from tests.warehouse.test_config_values import setting_leaves
from training.defaults import STAGES, Lora, LoraPresetName
from training.errors import PresetError
from training.presets import CONFIGS_DIR, load_preset, lora_preset

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path", sorted(p for p in CONFIGS_DIR.glob("*.yaml") if not p.stem.startswith("lora_")), ids=lambda p: p.stem
)
def test_every_shipped_preset_loads(path):
    stage = path.stem.split("_")[0]
    settings, name = load_preset(stage, path.stem)
    assert name == path.stem and settings["lora"]["r"] > 0
    assert STAGES[stage].model_validate(settings).model_dump() == settings  # what training reads is itself valid


def test_every_shipped_lora_preset_is_valid_and_nameable():
    shipped = sorted(p.stem.removeprefix("lora_") for p in CONFIGS_DIR.glob("lora_*.yaml"))
    assert shipped == sorted(typing.get_args(LoraPresetName))
    for name in shipped:
        assert Lora.model_validate(lora_preset(name)).r >= 1


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_preset_key_has_a_type_and_every_number_a_range(stage):
    schema = STAGES[stage].model_json_schema()
    leaves = dict(setting_leaves(schema, schema, ""))
    learning_rate = "steps[].triplets.learning_rate" if stage == "embed" else "learning_rate"
    assert {learning_rate, "seed", "lora.r", "lora.target_modules[]"} <= set(leaves)
    untyped = [path for path, node in leaves.items() if not ({"type", "enum", "const"} & set(node))]
    unbounded = [
        path
        for path, node in leaves.items()
        if node.get("type") in ("integer", "number") and not ({"minimum", "exclusiveMinimum"} & set(node))
    ]
    assert untyped == [] and unbounded == []
    # embed: 15 keys of its own and 39 of its steps; clm 21, sft 25 keys; lora counted key by key
    assert len(leaves) >= {"embed": 54, "clm": 25, "sft": 29, "dpo": 28}[stage]


@pytest.mark.parametrize(
    ("stage", "text", "message"),
    [
        ("clm", "batch_size: 0\n", "batch_size must be 1 or more, got 0"),
        ("clm", "precision: fp8\n", "precision 'fp8' is not one of auto, bf16, fp16, fp32"),
        ("clm", "lora:\n  dropout: 1.5\n", "lora.dropout must be 0 or more and below 1, got 1.5"),
        (
            "clm",
            "lora:\n  rank: 4\n",
            "unknown key 'lora.rank'; known keys here: alpha, bias, dropout, r, target_modules",
        ),
        ("clm", "lerning_rate: 0.1\n", "unknown key 'lerning_rate' (did you mean 'learning_rate'?)"),
        (
            "clm",
            "gradient_checkpointing: sometimes\n",
            "'gradient_checkpointing' must be true or false or null, got 'sometimes'",
        ),
        ("clm", "learning_rate: '2e-4'\n", "'learning_rate' must be a number (above 0), got '2e-4'"),
        ("sft", "lora_preset: heavy\n", "lora_preset 'heavy' is not one of light, balanced, full-coverage, or null"),
        ("embed", "kinds: [champion, txt]\n", "kinds[1] 'txt' is not one of champion, text (did you mean 'text'?)"),
        (
            "embed",
            "steps:\n  - vocabulary: {mask_ratio: 1}\n",
            "steps[0].vocabulary.mask_ratio must be above 0 and below 1, got 1",
        ),
        (
            "embed",
            "steps:\n  - invert: {corpus_split: validation}\n",
            "steps[0].invert.corpus_split 'validation' is not one of train, all",
        ),
        (
            "embed",
            "steps: [invert, inversion]\n",
            "steps[1] must be a step: one of llm2vec, adapter, simcse, vocabulary, invert, triplets, head, "
            "name_vectors, label_probabilities, merge, text_triplets "
            "(did you mean 'invert'?), got 'inversion'",
        ),
        (
            "embed",
            "steps: [adapter, triplets]\n",
            "steps must be a list where merge follows adapter, or has neither (the checkpoint holds full weights), "
            "got ['adapter', 'triplets']",
        ),
        (
            "embed",
            "steps: [3]\nepoch: 1\n",
            "unknown key 'epoch' (did you mean 'triplets.epochs'?); a step's settings go under its name in steps "
            "(or --set triplets.epochs=VALUE)",
        ),
        (
            "embed",
            "head_steps: 10\n",
            "unknown key 'head_steps' (did you mean 'head.steps'?); a step's settings go under its name in steps "
            "(or --set head.steps=VALUE)",
        ),
    ],
)
def test_a_bad_preset_value_is_one_line_naming_the_file(tmp_path, stage, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(f"stage: {stage}\ndescription: mine\n{text}", encoding="utf-8")
    with pytest.raises(PresetError) as info:
        load_preset(stage, str(path))
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("preset", "override", "message"),
    [
        ("embed_plain", "triplets.epochs=-1", "triplets.epochs must be 0 or more, got -1"),
        ("embed_head", "head.weight=0", "head.weight must be above 0, got 0"),
        ("embed_head", "head.stepz=3", "unknown key 'head.stepz' (did you mean 'steps'?)"),
        (
            "embed_head",
            "triplets.epochs=1",
            "the preset has no 'triplets' step (its steps: invert, head); list the steps in order with "
            "--set steps=[...], or write a preset file",
        ),
        (
            "embed_default",
            "steps=[invert, head, invert]",
            "steps must be each step once ('invert' is listed twice; --set names a step to set it), "
            "got ['invert', 'head', 'invert']",
        ),
        (
            "embed_default",
            "steps=[head, llm2vec]",
            "steps must be a list that starts with llm2vec when it has it (it rebuilds the model), "
            "got ['head', 'llm2vec']",
        ),
        (
            "embed_default",
            "kinds=[]",
            "kinds must be a list of at least 1 item(s) (each item one of champion, text), got []",
        ),
        ("embed_default", "seed=-1", "seed must be 0 or more and below 4294967296, got -1"),
        ("clm_default", "warmup_ratio=2", "warmup_ratio must be 0 or more and 1 or less, got 2"),
        ("clm_default", "max_steps=-5", "max_steps must be -1 or more, got -5"),
        ("clm_default", "lora.bias=some", "lora.bias 'some' is not one of none, all, lora_only"),
        ("clm_default", "lora=16", "'lora' must be a mapping, got 16"),
        (
            "sft_default",
            "lora_preset=heavy",
            "lora_preset 'heavy' is not one of light, balanced, full-coverage, or null",
        ),
        ("sft_default", "epok=2", "unknown key 'epok' (did you mean 'epochs'?)"),
    ],
)
def test_set_overrides_go_through_the_same_checks(preset, override, message):
    with pytest.raises(PresetError) as info:
        load_preset(preset.split("_")[0], preset, [override])
    assert str(info.value) == f"--set {override}: {message}"


def test_set_addresses_a_step_and_reorders_steps_keeping_their_settings():
    default, _ = load_preset("embed", "embed_head")
    invert, head = (next(iter(entry.values())) for entry in default["steps"])
    assert invert["corpus_split"] == "all" and head["steps"] == 300

    settings, _ = load_preset("embed", "embed_head", ["head.steps=40", "invert.min_chunks=1"])
    assert settings["steps"] == [{"invert": {**invert, "min_chunks": 1}}, {"head": {**head, "steps": 40}}]

    settings, _ = load_preset("embed", "embed_head", ["steps=[invert, triplets, head]", "triplets.epochs=2"])
    assert [next(iter(entry)) for entry in settings["steps"]] == ["invert", "triplets", "head"]
    assert settings["steps"][0] == {"invert": invert} and settings["steps"][2] == {"head": head}
    assert settings["steps"][1]["triplets"]["epochs"] == 2 and settings["steps"][1]["triplets"]["loss"] == "mnrl"

    settings, _ = load_preset("embed", "embed_inverted", ["steps=[triplets, {invert: {steps: 5}}]"])
    assert [next(iter(entry)) for entry in settings["steps"]] == ["triplets", "invert"]
    assert settings["steps"][1]["invert"]["steps"] == 5


def test_a_bad_override_stops_train_before_anything_runs(tmp_path):
    (tmp_path / "riftlab.yaml").write_text("name: t\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "riftlab.cli",
            "--project-dir",
            str(tmp_path),
            "train",
            "embed",
            "--set",
            "invert.batch_size=0",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: --set invert.batch_size=0: invert.batch_size must be 1 or more, got 0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["riftlab.yaml"]  # no warehouse, no run folder


def test_seed_and_default_clm_presets():
    seed, _ = load_preset("clm", "clm_seed")
    assert seed["lora"] == {
        "r": 8,
        "alpha": 16,
        "dropout": 0.05,
        "bias": "none",
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    }
    assert (
        seed["learning_rate"],
        seed["epochs"],
        seed["weight_decay"],
        seed["batch_size"],
        seed["grad_accum"],
        seed["precision"],
    ) == (1e-5, 3, 0.01, 2, 4, "fp16")
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

    from training.embed import corpus_pairs, masked_descriptions
    from warehouse.settings import Vars
    from warehouse.sql_functions.text import mask_terms

    MASK_TOKEN = Vars().mask_token

    champions = pa.Table.from_pylist(data.champion_rows())
    chunks = pa.Table.from_pylist(data.chunk_rows())
    terms = pa.table(
        {
            "champion": [row["champion_key"] for row in data.champion_rows()],
            "mask_terms": [[row["name"], row["champion_key"]] for row in data.champion_rows()],
        }
    )
    splits = {row["name"]: row["embedding_split"] for row in data.champion_rows()}
    descriptions = masked_descriptions(champions, chunks, terms, MASK_TOKEN)
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
    for anchor, positive, negative in zip(
        *(everything[c].to_pylist() for c in ("anchor", "positive", "negative")), strict=True
    ):
        # the positive is one of the anchor's own chunks and the negative another champion's (whatever
        # its labels), both with the names hidden
        assert about[positive] == keys[anchor] and anchor not in positive
        assert about[negative] != keys[anchor] and names[about[negative]] not in negative
        negatives_share_a_position += bool(positions[about[negative]] & positions[keys[anchor]])
    assert negatives_share_a_position > 0  # random negatives, not label-chosen ones
    assert any(MASK_TOKEN in p for p in everything["positive"].to_pylist())
