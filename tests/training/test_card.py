"""Model cards in the Hub's own format: front matter huggingface_hub parses into its card metadata fields."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from training.card import Evaluation, read_card, refresh_evaluations, write_model_card
from training.registry import RunRecord

#: the Hub's model card metadata fields riftlab fills (huggingface_hub.ModelCardData)
HUB_FIELDS = {"base_model", "base_model_relation", "library_name", "pipeline_tag", "license", "datasets", "tags"}
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def record(stage: str, base: str, folder: Path) -> RunRecord:
    return RunRecord(
        run_id=f"{stage}-20260101-000000-abcdef",
        stage=stage,
        preset=f"{stage}_default",
        base_model=base,
        config={"seed": 42},
        corpus_snapshot_id="0123456789abcdef",
        data_rows={"triplets": 10},
        output_path=folder,
        git_commit=None,
        started_at=datetime(2026, 1, 1),
    )


def check_hub_card(path: Path):
    """The card parsed as the Hub parses it; its model-index must turn back into evaluation results."""
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import model_index_to_eval_results

    card = read_card(path)
    data = card.data.to_dict()
    assert HUB_FIELDS <= set(data), sorted(HUB_FIELDS - set(data))
    assert HUB_ID.match(data["base_model"]) and data["license"] == "apache-2.0"
    assert data["datasets"] == ["0123456789abcdef"]
    name, results = model_index_to_eval_results(data["model-index"])
    assert name == "embed-20260101-000000-abcdef" or name.startswith(("clm-", "sft-"))
    ModelCardData(**data)  # round-trips through the Hub's own class
    return card, results


def test_an_embedder_card_names_its_hub_base_and_its_validation_score(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    write_model_card(folder, record("embed", "minilm", folder), {"validation_accuracy": 0.91, "seed": 1}, None)
    card, results = check_hub_card(folder / "README.md")
    assert card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert (card.data.library_name, card.data.pipeline_tag) == ("sentence-transformers", "sentence-similarity")
    assert [(r.dataset_name, r.metric_type, r.metric_value) for r in results] == [
        ("triplets", "validation_accuracy", 0.91)
    ]


def test_a_chain_of_runs_keeps_the_pretrained_base_and_refreshed_scores_replace_the_index(tmp_path):
    clm = tmp_path / "clm"
    clm.mkdir()
    (clm / "adapter_config.json").write_text("{}")
    write_model_card(clm, record("clm", "smollm2", clm), {"eval_perplexity": 12.5}, None)
    card, _ = check_hub_card(clm / "README.md")
    assert (card.data.base_model, card.data.library_name, card.data.base_model_relation) == (
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "peft",
        "adapter",
    )
    sft = tmp_path / "sft"
    sft.mkdir()
    write_model_card(sft, record("sft", str(clm / "merged"), sft), {"eval_loss": 1.5}, None)
    card, _ = check_hub_card(sft / "README.md")
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"  # through the clm run's card

    refresh_evaluations(
        sft / "README.md",
        [Evaluation("closed-book", "ChampionPositionClosedBook", "validation", "accuracy", 0.4)],
    )
    card, results = check_hub_card(sft / "README.md")
    assert [(r.dataset_name, r.metric_value) for r in results] == [("ChampionPositionClosedBook", 0.4)]
    assert card.text.count("## Evaluation") == 1 and "| ChampionPositionClosedBook | validation |" in card.text


@pytest.mark.parametrize("base", ["/nowhere/local-model", None])
def test_a_base_outside_the_hub_leaves_base_model_out(tmp_path, base):
    folder = tmp_path / "run"
    folder.mkdir()
    write_model_card(folder, record("embed", base, folder), {}, None)
    data = read_card(folder / "README.md").data
    assert data.base_model is None and data.license == "other" and data.eval_results is None
