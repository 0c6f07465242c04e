"""Malformed answers: recorded as failed rows with the raw text, repaired at most once."""

from __future__ import annotations

import pytest

from augment import answers
from augment.errors import MalformedAnswer
from tests.augment.project import rows, run


@pytest.mark.parametrize(
    "text",
    [
        '{"paraphrase": "Aatrox dashes."}',
        '```json\n{"paraphrase": "Aatrox dashes."}\n```',
        'Here you go:\n{"paraphrase": "Aatrox dashes."}\nHope it helps.',
    ],
)
def test_json_is_found_in_the_usual_wrappings(text):
    assert answers.parse(text, {"paraphrase": str}) == {"paraphrase": "Aatrox dashes."}


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("Sure! {not json}", "does not parse"),
        ("Sure! {not json", "no JSON object"),
        ("no braces at all", "no JSON object"),
        ('{"paraphrase": ""}', "answer.paraphrase must be non-empty text"),
        ('{"pairs": [{"question": "q"}]}', "answer.pairs[0] lacks the key 'answer'"),
        ('{"pairs": []}', "answer.pairs must be a non-empty list"),
    ],
)
def test_malformed_answers_say_why(text, reason):
    shape = (
        {"paraphrase": str}
        if "paraphrase" in text or not text.startswith("{")
        else {"pairs": [{"question": str, "answer": str}]}
    )
    with pytest.raises(MalformedAnswer, match=reason.replace("[", r"\[").replace("]", r"\]")):
        answers.parse(text, shape)


def test_a_malformed_answer_is_repaired_once(project, api):
    api.malformed = ["Orb of Deception"]  # Ahri's first chunk: its first answer is not JSON
    report = run(project, "instruct-factual")
    assert report.stats.malformed == 1 and report.stats.repaired == 1
    repair_bodies = [b for b in api.bodies if len(b["messages"]) == 3]
    assert len(repair_bodies) == 1
    turns = repair_bodies[0]["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[1]["content"] == "Sure! Here it is: {not: json}"
    assert "could not be used" in turns[2]["content"] and "does not parse" in turns[2]["content"]
    [(status, text, error)] = rows(project, "SELECT status, text, error FROM raw.augmentations WHERE status = 'failed'")
    assert text == "Sure! Here it is: {not: json}" and "does not parse" in error
    # the repaired answer gave the window's pairs
    ahri = rows(
        project,
        """SELECT count(*) FROM raw.augmentations
                            WHERE status = 'ok' AND list_contains(source_ids, 'wiki-ahri-0')""",
    )[0][0]
    assert ahri == 2
    # rerunning: both the bad answer and its repair come from the cache
    sent = api.counts["messages"]
    again = run(project, "instruct-factual")
    assert api.counts["messages"] == sent and again.stats.repaired == 1


def test_an_answer_that_stays_malformed_fails_after_one_repair(project, api):
    api.always_malformed = ["Orb of Deception"]
    report = run(project, "instruct-factual")
    assert report.stats.malformed == 2 and report.stats.repaired == 0
    assert len([b for b in api.bodies if "Orb of Deception" in b["messages"][0]["content"]]) == 2  # one try, one repair
    failed = rows(project, "SELECT text, error FROM raw.augmentations WHERE status = 'failed' ORDER BY created_at")
    assert len(failed) == 2 and all("prose instead of JSON" in text for text, _ in failed)
    assert (
        rows(
            project,
            """SELECT count(*) FROM raw.augmentations
                            WHERE status = 'ok' AND list_contains(source_ids, 'wiki-ahri-0')""",
        )[0][0]
        == 0
    )


def test_a_role_outside_the_positions_is_malformed(project, api, monkeypatch):
    from tests.augment import fake_anthropic

    original = fake_anthropic.default_answer

    def wrong_positions(system, messages):
        if '"analysis"' in system and len(messages) == 1:
            return '{"positions": ["Mid lane"], "analysis": "It is played in the middle."}'
        return original(system, messages)

    monkeypatch.setattr(fake_anthropic, "default_answer", wrong_positions)
    report = run(project, "roles", limit=1)
    assert report.stats.malformed == 1 and report.stats.repaired == 1
    assert rows(project, "SELECT error FROM raw.augmentations WHERE status = 'failed'")[0][0].startswith(
        "answer.positions has ['Mid lane']"
    )
