"""``train dpo``: TRL's DPOTrainer with a LoRA adapter on SmolLM2, reference = adapter disabled, run registered."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest
from conftest import link_cache

PAIRS = [
    # (champion, prompt, chosen, rejected)
    ("Jinx", "Which position is Jinx played in?", "Jinx is played in the bottom lane.", "Jinx is played in mid."),
    ("Garen", "Is Garen melee or ranged?", "Garen is a melee champion.", "Garen is a ranged champion."),
    ("Ahri", "What resource does Ahri use?", "Ahri uses mana.", "Ahri uses energy."),
    ("Annie", "What class of champion is Annie?", "Annie is a Mage champion.", "Annie is a Tank champion."),
    ("Leona", "Which position is Leona played in?", "Leona is played as a support.", "Leona is played in top."),
    ("Zed", "What resource does Zed use?", "Zed uses energy.", "Zed uses mana."),
    ("Thresh", "Is Thresh melee or ranged?", "Thresh is a ranged champion.", "Thresh is a melee champion."),
    ("Lux", "Which position is Lux played in?", "Lux is played in the middle lane.", "Lux is played in the jungle."),
]


def fill_pairs(project, validation: set[str]) -> None:
    rows = [
        {
            "pair_id": f"p{i}",
            "prompt": prompt,
            "chosen": chosen,
            "rejected": rejected,
            "source": "rules:test",
            "champion": champion,
            "fact": "test",
            "split": "validation" if champion in validation else "train",
        }
        for i, (champion, prompt, chosen, rejected) in enumerate(PAIRS)
    ]
    batch = pa.Table.from_pylist(rows)  # noqa: F841 (read by DuckDB below)
    con = project.connect()
    try:
        con.execute("CREATE OR REPLACE TABLE main.preference_pairs AS SELECT * FROM batch")
    finally:
        con.close()


@pytest.fixture(scope="session")
def dpo_run(smollm2_cache, tmp_path_factory):
    """One tiny DPO run on SmolLM2 for the session: (project, run result)."""
    from conftest import ROWS, fill_table

    from training.runner import train
    from warehouse.project import Project

    root = tmp_path_factory.mktemp("dpo") / "project"
    root.mkdir()
    (root / "riftlab.yaml").write_text(
        "name: test\nwarehouse:\n  path: data/test.duckdb\ntraining:\n  num_threads: 2\n", encoding="utf-8"
    )
    project = Project.load(root)
    con = project.connect()
    try:
        for name, rows in ROWS.items():
            fill_table(con, name, rows())
    finally:
        con.close()
    fill_pairs(project, validation={"Thresh", "Lux"})
    link_cache(root, smollm2_cache)
    return project, train(project, "dpo", preset="dpo_tiny", base="smollm2")


def test_dpo_trains_a_lora_adapter_against_the_adapter_free_reference(dpo_run):
    project, run = dpo_run
    metrics = run.metrics
    assert metrics["train_pairs"] == 6 and metrics["validation_pairs"] == 2
    assert math.isfinite(metrics["train_loss"])
    # before any step the policy is the reference (the adapter starts at zero): no margin yet
    assert metrics["validation_reward_margins_before"] == pytest.approx(0.0, abs=1e-4)
    # after three steps at a high learning rate the adapter moved the model away from its reference
    assert metrics["validation_reward_margins"] != pytest.approx(0.0, abs=1e-4)
    folder = run.output_path
    adapter = json.loads((folder / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA" and sorted(adapter["target_modules"]) == ["q_proj", "v_proj"]
    assert (folder / "merged" / "model.safetensors").is_file()  # what `riftlab export` quantises
    assert (folder / "reward_curves.png").stat().st_size > 1000
    history = json.loads((folder / "log_history.json").read_text())
    assert sum("rewards/margins" in e for e in history) == 3 and any("eval_rewards/accuracies" in e for e in history)

    con = project.connect(read_only=True)
    try:
        stage, status, snapshot, rows = con.execute(
            "select stage, status, corpus_snapshot_id, data_rows from meta.training_runs where run_id = ?",
            [run.run_id],
        ).fetchone()
    finally:
        con.close()
    assert (stage, status, snapshot) == ("dpo", "finished", run.snapshot_id)
    assert json.loads(rows) == {"preference_pairs": 8}


def test_dpo_refuses_a_warehouse_without_training_pairs(make_project, tiny_decoder):
    from training.errors import TrainingDataError
    from training.runner import train

    project = make_project()
    fill_pairs(project, validation={champion for champion, *_ in PAIRS})
    with pytest.raises(TrainingDataError, match=r"preference_pairs \(split 'train'\) has no rows"):
        train(project, "dpo", preset="dpo_tiny", base=str(tiny_decoder))


def test_the_dpo_card_is_in_the_hubs_format(dpo_run):
    from huggingface_hub import ModelCard

    project, run = dpo_run
    card = ModelCard.load(run.output_path / "README.md")
    data = card.data
    assert data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct" and data.base_model_relation == "adapter"
    assert (data.library_name, data.pipeline_tag, data.license) == ("peft", "text-generation", "apache-2.0")
    assert data.datasets == [run.snapshot_id]
    results = {(r.dataset_name, r.metric_type): r.metric_value for r in data.eval_results}
    assert results[("preference_pairs", "validation_reward_accuracies")] == run.metrics["validation_reward_accuracies"]
    assert "![reward_curves](reward_curves.png)" in card.text


def test_export_quantises_the_merged_model_that_transformers_loads_back(dpo_run):
    from huggingface_hub import ModelCard

    from training.export import export, load_quantised

    project, dpo = dpo_run
    result = export(project, dpo.run_id, "int8", max_chunks=4, max_length=64)
    metrics = result.metrics
    assert result.source == dpo.output_path / "merged" and result.source_run_id == dpo.run_id
    # int8 linear layers and bf16 embeddings against the fp32 merged model
    assert metrics["size_ratio"] >= 3.0, metrics
    assert abs(metrics["eval_perplexity"] / metrics["source_eval_perplexity"] - 1) < 0.05, metrics
    model = load_quantised(result.output_path)
    assert type(model.model.layers[0].self_attn.q_proj.weight).__name__ == "Int8Tensor"
    card = ModelCard.load(result.output_path / "README.md")
    assert (card.data.base_model, card.data.base_model_relation) == ("HuggingFaceTB/SmolLM2-135M-Instruct", "quantized")
    assert card.data.library_name == "transformers" and card.data.datasets == [dpo.snapshot_id]
    con = project.connect(read_only=True)
    try:
        stage, status, base = con.execute(
            "select stage, status, base_model from meta.training_runs where run_id = ?", [result.run_id]
        ).fetchone()
    finally:
        con.close()
    assert (stage, status, base) == ("export", "finished", str(dpo.output_path))


def test_export_of_an_unknown_run_is_one_clear_line(project, capsys):
    from riftlab.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["export", "dpo-nope", "--project-dir", str(project.root)])
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "export dpo-nope: not a run id in meta.training_runs nor a model folder" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_int4_export_is_refused_up_front_without_cuda():
    import torch

    from training.errors import TrainingError
    from training.export import check_method

    if torch.cuda.is_available():
        pytest.skip("int4 runs on CUDA")
    with pytest.raises(TrainingError, match="export --method int4 needs CUDA"):
        check_method("int4")
    check_method("int8")


def test_two_sampled_answers_per_question_for_the_judge(tiny_decoder):
    from training.generate import answer_twice

    questions = ["Which position is Jinx played in?", "Is Garen melee or ranged?"]
    answers = answer_twice(tiny_decoder, questions, max_new_tokens=8, seed=3)
    assert len(answers) == 2 and all(a and b for a, b in answers)
    assert answer_twice(tiny_decoder, questions, max_new_tokens=8, seed=3) == answers  # a rerun: the same candidates
