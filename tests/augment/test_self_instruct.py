"""self-instruct: clipped-Gaussian sampling, prompt variations and the two judges."""

from __future__ import annotations

import json
import random

import pytest

from augment.inputs import Chunk
from augment.settings import AUGMENT
from augment.tasks.base import Corpus
from augment.tasks.self_instruct import clipped_gauss, passage, sample_items
from tests.augment.project import rows, run


def test_clipped_gaussian_stays_in_bounds_and_is_seeded():
    rng = random.Random(3)
    draws = [clipped_gauss(rng, 600, 400, 200, 1200) for _ in range(2000)]
    assert min(draws) == 200 and max(draws) == 1200  # the sd is wide enough to hit both clips
    assert 500 < sum(draws) / len(draws) < 700
    assert draws[:50] == [clipped_gauss(r, 600, 400, 200, 1200) for r in [random.Random(3)] for _ in range(50)]


def test_a_passage_grows_to_its_target_and_backwards_at_the_end():
    chunks = [Chunk(f"c{i}", "d", "wiki", None, "s", "t", 100, "train") for i in range(6)]
    assert [c.chunk_id for c in passage(chunks, 1, 250)] == ["c1", "c2", "c3"]
    assert [c.chunk_id for c in passage(chunks, 5, 250)] == ["c3", "c4", "c5"]
    assert [c.chunk_id for c in passage(chunks, 2, 10)] == ["c2"]


def test_samples_follow_the_per_source_size_and_vary_the_prompt(project):
    settings = {
        **project.config["augment"],
        "self_instruct": {
            **AUGMENT["self_instruct"],
            "samples": 60,
            "seed": 1,
            "chunk_tokens": {
                "default": {"mean": 30, "sd": 5, "min": 25, "max": 35},
                "coaching": {"mean": 200, "sd": 10, "min": 150, "max": 250},
            },
        },
    }
    con = project.connect(read_only=True)
    try:
        items = sample_items(Corpus(con), settings, 60)
        again = sample_items(Corpus(con), settings, 60)
    finally:
        con.close()
    assert [i.inputs for i in items] == [i.inputs for i in again]  # deterministic
    for item in items:
        target = item.attributes["target_tokens"]
        if item.attributes["source"] == "coaching":
            assert 150 <= target <= 250
        else:
            assert 25 <= target <= 35
            # 2 chunks of ~22 tokens reach any target in [25, 35] when the document has them
            assert item.attributes["passage_tokens"] >= min(target, 20)
    assert {i.attributes["style"] for i in items} == {"technical", "non-technical"}
    assert {i.attributes["length"] for i in items} == {"lengthy", "concise", "neutral"}


def test_judges_reject_outside_entities_and_rewrite_source_mentions(project, api):
    report = run(project, "self-instruct")
    produced = rows(
        project, "SELECT status, messages, verdicts, error FROM raw.augmentations WHERE task = 'self-instruct'"
    )
    assert len(produced) == 4 * 3  # 4 samples x 3 pairs
    by_status: dict[str, list] = {}
    for status, messages, verdicts, error in produced:
        by_status.setdefault(status, []).append((json.loads(messages), json.loads(verdicts), error))

    rejected = by_status["rejected"]
    assert len(rejected) == 4
    for messages, verdicts, error in rejected:
        assert "Faker" in messages[1]["content"]
        assert verdicts["entities"]["verdict"] == "fail" and verdicts["entities"]["entities"] == ["Faker"]
        assert "source" not in verdicts  # a rejected pair is not sent to the second judge
        assert error == "outside entities: Faker"

    kept = by_status["ok"]
    assert len(kept) == 8
    rewritten = [(m, v) for m, v, _ in kept if v["source"]["mentions_source"]]
    assert len(rewritten) == 4
    for messages, verdicts in rewritten:
        assert "guide" not in json.dumps(messages).lower()
        assert verdicts["original"]["question"].startswith("According to the guide")
        assert verdicts["entities"]["verdict"] == "pass"
    # judge requests are logged under their own task names
    tasks = dict(rows(project, "SELECT task, count(*) FROM raw.llm_calls GROUP BY task"))
    assert set(tasks) == {"self-instruct", "self-instruct-judge-entities", "self-instruct-judge-source"}
    assert report.stats.landed == {"ok": 8, "rejected": 4}


def test_prompt_variations_reach_the_model(project, api):
    run(project, "self-instruct")
    generation = [b["messages"][0]["content"] for b in api.bodies if "Style:" in b["messages"][0]["content"]]
    assert len(generation) == 4
    styles = {text.split("Style: ", 1)[1].split(":", 1)[0] for text in generation}
    assert styles <= {"technical", "plain"} and styles


@pytest.mark.parametrize(
    "sizes, message",
    [
        ({"wiki": {"mean": 1, "sd": 1, "min": 1, "max": 2}}, "needs a 'default' entry"),
        ({"default": {"mean": 500, "sd": 100, "min": 800, "max": 400}}, "chunk_tokens.default: needs 0 < min <= max"),
        (
            {"default": {"mean": 500, "sd": 100, "min": 100, "max": 900}, "forum": {"mean": 300}},
            "chunk_tokens.forum: needs mean, sd, min and max",
        ),
    ],
)
def test_bad_chunk_size_settings_name_the_entry(project, sizes, message):
    from warehouse.errors import ConfigError

    settings = {**project.config["augment"], "self_instruct": {**AUGMENT["self_instruct"], "chunk_tokens": sizes}}
    con = project.connect(read_only=True)
    try:
        with pytest.raises(ConfigError, match=message):
            sample_items(Corpus(con), settings, 3)
    finally:
        con.close()


def test_missing_inputs_name_the_command_that_makes_them(project, api):
    from warehouse.errors import WarehouseError

    con = project.connect()
    con.execute("DROP TABLE main.corpus_chunks")
    con.close()
    with pytest.raises(WarehouseError, match="no table main.corpus_chunks: `riftlab build` makes it"):
        run(project, "self-instruct")
