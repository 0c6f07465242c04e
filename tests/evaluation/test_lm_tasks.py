"""Language-model tasks: the closed-book questions the warehouse yields, and log-likelihood scoring.

Scoring runs on a small randomly initialised Llama (MiniLM's tokenizer, so no conversion is
needed); what is checked is the arithmetic, against a plain unpadded forward pass.  The whole
path on the pretrained SmolLM2 (clm -> sft -> embed -> eval) is in tests/training/test_smollm2.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evaluation import definitions, lm_tasks
from evaluation.errors import EvaluationError
from warehouse.project import Project

CHAMPIONS = [
    # key, name, positions, classes, attack type, resource, split of its instruction pairs
    ("Ahri", "Ahri", ["Middle"], ["Mage"], "RANGED", "MANA", "validation"),
    ("Poppy", "Poppy", ["Top", "Jungle"], ["Tank", "Fighter"], "MELEE", "MANA", "validation"),
    ("Zed", "Zed", ["Middle"], ["Slayer"], "MELEE", "ENERGY", "train"),
    ("Garen", "Garen", ["Top"], ["Fighter"], "MELEE", "NONE", None),  # no pair at all: never asked either
]


def facts_project(root: Path) -> Project:
    root.mkdir(parents=True)
    (root / "riftlab.yaml").write_text("name: lm\nwarehouse:\n  path: data/lm.duckdb\n", encoding="utf-8")
    project = Project.load(root)
    con = project.connect()
    try:
        con.execute(
            "CREATE TABLE main.champions (champion_key VARCHAR, name VARCHAR, positions VARCHAR[], classes VARCHAR[])"
        )
        con.execute(
            "CREATE TABLE main.int_champion_facts (champion_key VARCHAR, fact_type VARCHAR, value VARCHAR, "
            "source VARCHAR, precedence INTEGER, chosen BOOLEAN)"
        )
        con.execute("CREATE TABLE main.instruct_pairs (pair_id VARCHAR, champion VARCHAR, split VARCHAR)")
        for key, name, positions, classes, attack, resource, split in CHAMPIONS:
            con.execute("INSERT INTO main.champions VALUES (?, ?, ?, ?)", [key, name, positions, classes])
            for fact, value in (("attack_type", attack), ("resource", resource)):
                con.execute(
                    "INSERT INTO main.int_champion_facts VALUES (?, ?, ?, 'meraki', 1, true)", [key, fact, value]
                )
            con.execute("INSERT INTO main.int_champion_facts VALUES (?, 'resource', 'FURY', 'wiki', 2, false)", [key])
            if split:
                con.execute("INSERT INTO main.instruct_pairs VALUES (?, ?, ?)", [f"p-{key}", key, split])
    finally:
        con.close()
    return project


def closed_book_rows(project: Project, fact: str, split: str = "validation") -> list[dict]:
    specs = definitions.load_specs(definitions.BUILTIN_TASKS_DIR)
    name = {"position": "ChampionPositionClosedBook", "class": "ChampionClassClosedBook"}.get(fact)
    name = name or {"resource": "ChampionResourceClosedBook", "attack_type": "ChampionAttackTypeClosedBook"}[fact]
    con = project.connect(read_only=True)
    try:
        return definitions.load_task_data(con, specs[name]).splits[split]["rows"]
    finally:
        con.close()


def test_closed_book_asks_only_about_champions_no_training_pair_asked_about(tmp_path):
    project = facts_project(tmp_path / "project")
    by_key = {r["champion_key"]: r for r in closed_book_rows(project, "position")}
    assert set(by_key) == {"Ahri", "Poppy", "Garen"}  # Zed has a train pair: SFT saw him asked about
    assert {r["champion_key"] for r in closed_book_rows(project, "position", "all")} == {
        "Ahri",
        "Poppy",
        "Garen",
        "Zed",
    }

    poppy = by_key["Poppy"]
    assert poppy["question"] == "Which position is Poppy played in?"
    assert poppy["choices"][poppy["answer"]] == "top lane"
    assert "jungle" not in poppy["choices"]  # also true: not offered as a wrong option
    assert len(by_key["Ahri"]["choices"]) == 5

    classes = {r["champion_key"]: r for r in closed_book_rows(project, "class")}
    assert classes["Poppy"]["choices"][classes["Poppy"]["answer"]] == "Tank"
    assert "Fighter" not in classes["Poppy"]["choices"] and "Fighter" in classes["Ahri"]["choices"]

    resources = {r["champion_key"]: r for r in closed_book_rows(project, "resource")}
    garen = resources["Garen"]
    assert garen["choices"][garen["answer"]] == "no resource"
    assert sorted(garen["choices"]) == ["energy", "mana", "no resource"]  # chosen facts only: no 'fury'

    attack = {r["champion_key"]: r for r in closed_book_rows(project, "attack_type")}
    assert attack["Ahri"]["choices"] == ["melee", "ranged"] and attack["Ahri"]["answer"] == 1


@pytest.fixture(scope="module")
def tiny_lm():
    """A 2-layer Llama with random weights over MiniLM's WordPiece vocabulary."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from training.bases import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval(), tokenizer


def direct_logprob(model, ids: list[int], start: int) -> float:
    """log p(ids[start:] | ids[:start]) from one unpadded forward pass."""
    import torch

    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    logprobs = torch.log_softmax(logits, dim=-1)
    return float(sum(logprobs[i - 1, ids[i]] for i in range(start, len(ids))))


def test_batched_log_likelihood_equals_unpadded_forward(tiny_lm):
    model, _ = tiny_lm
    sequences = [([5, 9, 13, 200, 7], 3), ([4, 8], 1), ([100, 101, 102, 103, 104, 105, 106, 107], 5), ([3, 3, 3], 2)]
    scored = lm_tasks._sequence_logprobs(model, sequences, batch_size=3)  # a batch mixes lengths: padding
    for (ids, start), (logprob, count) in zip(sequences, scored, strict=True):
        assert count == len(ids) - start
        assert logprob == pytest.approx(direct_logprob(model, ids, start), abs=1e-4)


def test_perplexity_is_the_exponent_of_the_mean_token_loss(tiny_lm):
    import torch

    model, tokenizer = tiny_lm
    texts = ["Ahri charms an enemy champion.", "Garen spins with his sword and silences."]
    result = lm_tasks.perplexity(model, tokenizer, texts, batch_size=2)
    losses, counts = [], []
    for text in texts:
        ids = tokenizer(text, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            losses.append(float(model(input_ids=ids, labels=ids).loss))
        counts.append(ids.shape[1] - 1)
    mean = sum(loss * n for loss, n in zip(losses, counts, strict=True)) / sum(counts)
    assert result["loss"] == pytest.approx(mean, rel=1e-4)
    assert result["perplexity"] == pytest.approx(math.exp(mean), rel=1e-4)
    assert result["tokens"] == sum(counts)
    # a random model over a 30k vocabulary is near uniform
    assert 0.5 * len(tokenizer) < result["perplexity"] < 2 * len(tokenizer)


def test_multiple_choice_picks_the_likeliest_option_and_reports_chance(tiny_lm):
    model, tokenizer = tiny_lm
    question = {
        "question": "Is Ahri melee or ranged?",
        "answer_prefix": "Ahri is",
        "choices": ["melee", "ranged", "a tank"],
    }
    ctx = tokenizer(lm_tasks.context(tokenizer, question["question"], "Ahri is", "chat"), add_special_tokens=False)[
        "input_ids"
    ]
    assert "Question: Is Ahri melee or ranged?\nAnswer: Ahri is" == lm_tasks.context(
        tokenizer, question["question"], "Ahri is", "chat"
    )  # MiniLM's tokenizer has no chat template: the plain prompt
    logprobs = [
        direct_logprob(model, ctx + tokenizer(" " + c, add_special_tokens=False)["input_ids"], len(ctx))
        for c in question["choices"]
    ]
    best = max(range(3), key=logprobs.__getitem__)
    worst = min(range(3), key=logprobs.__getitem__)
    rows = [
        {**question, "answer": best},
        {**question, "answer": worst},
        {**question, "choices": ["melee", "ranged"], "answer": 0},
    ]
    result = lm_tasks.multiple_choice(model, tokenizer, rows)
    two = [logprobs[0], logprobs[1]]
    expected = (1 + 0 + (two[0] >= two[1])) / 3
    assert result["accuracy"] == pytest.approx(expected)
    assert result["chance_accuracy"] == pytest.approx((1 / 3 + 1 / 3 + 1 / 2) / 3)
    assert result["questions"] == 3

    with pytest.raises(EvaluationError, match="two or more choices"):
        lm_tasks.multiple_choice(model, tokenizer, [{**question, "choices": ["melee"], "answer": 0}])


def test_an_embedder_cannot_be_given_a_language_model_task(tmp_path):
    from evaluation.runner import prepare

    project = facts_project(tmp_path / "project")
    with pytest.raises(EvaluationError, match="ChampionPositionClosedBook is a language-model task"):
        prepare(project, ["minilm"], ["ChampionPositionClosedBook"])
