"""The SQL models that publish augmentation: offline rule-based output, and API output once landed."""

from __future__ import annotations

import json

from tests.augment.project import CHAMPIONS, build_models, rows, run

AUGMENTED_DOCUMENT_COLUMNS = ["document_id", "source", "url", "champion", "title", "section_path", "text", "split_hint"]
INSTRUCT_PAIR_COLUMNS = ["pair_id", "kind", "messages", "champion", "split", "source_ids"]


def columns(project, table: str) -> list[tuple[str, str]]:
    return rows(
        project,
        """SELECT column_name, data_type FROM information_schema.columns
                            WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""",
        [table],
    )


def test_offline_build_publishes_rule_based_pairs_and_cards(models_project, offline):
    project = models_project
    assert [c for c, _ in columns(project, "instruct_pairs")] == INSTRUCT_PAIR_COLUMNS
    assert dict(columns(project, "instruct_pairs"))["messages"] == 'STRUCT("role" VARCHAR, "content" VARCHAR)[]'
    assert [c for c, _ in columns(project, "augmented_documents")] == AUGMENTED_DOCUMENT_COLUMNS
    assert rows(project, "SELECT count(*) FROM main.augmented_documents")[0][0] == 0

    pairs = rows(project, "SELECT kind, messages, champion, split FROM main.instruct_pairs")
    kinds = {kind for kind, *_ in pairs}
    assert kinds == {"rule-fact", "rule-section"}
    assert rows(project, "SELECT count(*), count(DISTINCT pair_id) FROM main.instruct_pairs")[0] == (
        len(pairs),
        len(pairs),
    )
    answers = {m[0]["content"]: m[1]["content"] for _, m, _, _ in pairs}
    assert answers["Which position is Wukong played in?"] == "Wukong is played in the top lane and jungle."
    assert answers["What class of champion is Thresh?"] == "Thresh is a Controller champion of the Catcher subclass."
    assert answers["Who is the Nine-Tailed Fox?"] == "The Nine-Tailed Fox is Ahri, a Mage champion."
    assert answers["What does Aatrox's ability Umbral Dash do?"].startswith("Aatrox dashes a short distance")
    # a pair's split is its champion's corpus split (Thresh's chunks are in validation)
    assert {split for kind, _, champion, split in pairs if champion == "Thresh"} == {"validation"}
    assert {split for *_, split in pairs} <= {"train", "validation"}

    cards = rows(project, "SELECT champion, origin, text, split FROM main.champion_cards ORDER BY champion")
    assert [(c, o, s) for c, o, _, s in cards] == sorted((key, "rules", split) for key, *_, split in CHAMPIONS)
    aatrox = cards[0][2]
    assert aatrox.startswith(
        "Aatrox, the Darkin Blade. Aatrox is a Fighter champion (Juggernaut), usually played in the top lane."
    )
    assert "\n\nAatrox slams his greatsword" in aatrox and "\\n" not in aatrox


def test_api_output_is_published_and_failures_are_not(models_project, api):
    project = models_project
    api.always_malformed = ["blows a kiss"]  # every answer grounded in Ahri's Charm chunk stays malformed
    for task in ("paraphrase", "champion-cards", "instruct-factual", "self-instruct"):
        run(project, task)
    build_models(project)

    documents = rows(
        project, "SELECT source, url, champion, title, section_path, text, split_hint FROM main.augmented_documents"
    )
    paraphrases = [d for d in documents if d[0] == "augment:paraphrase"]
    cards = [d for d in documents if d[0] == "augment:champion-cards"]
    assert sorted(d[2] for d in cards) == ["Aatrox", "MonkeyKing", "Thresh"]  # Ahri's card failed twice
    assert all(d[5].startswith("In other words:") for d in paraphrases)
    assert paraphrases and not any(d[2] == "Ahri" for d in paraphrases)  # failed windows are not published
    # a paraphrase inherits its source's split and points at its source document
    thresh = [d for d in paraphrases if d[2] == "Thresh"]
    assert thresh and {d[6] for d in thresh} == {"validation"}
    assert all(d[1].startswith("augment://paraphrase/") for d in paraphrases)

    failed = rows(project, "SELECT count(*) FROM raw.augmentations WHERE status = 'failed'")[0][0]
    assert failed >= 2
    pairs = rows(project, "SELECT kind, messages, split FROM main.instruct_pairs WHERE kind NOT LIKE 'rule-%'")
    kinds = {kind for kind, _, _ in pairs}
    assert kinds == {"factual", "self-instruct"}
    text = json.dumps([m for _, m, _ in pairs])
    assert "Faker" not in text and "the guide" not in text.lower() and "prose instead of JSON" not in text
    kept = rows(project, "SELECT count(*) FROM raw.augmentations WHERE task = 'self-instruct' AND status = 'ok'")[0][0]
    assert 0 < len([k for k, _, _ in pairs if k == "self-instruct"]) == kept
    assert {split for *_, split in pairs} <= {"train", "validation"}

    llm_cards = rows(project, "SELECT champion, split FROM main.champion_cards WHERE origin = 'llm' ORDER BY champion")
    assert llm_cards == [("Aatrox", "train"), ("MonkeyKing", "heldout"), ("Thresh", "validation")]


def test_a_new_prompt_version_replaces_not_duplicates(models_project, api):
    project = models_project
    run(project, "paraphrase")
    build_models(project)
    first = rows(project, "SELECT url, text FROM main.augmented_documents ORDER BY url")
    template = project.transforms_dir / "prompts" / "paraphrase.j2"
    template.write_text(template.read_text().replace("You rewrite passages", "You carefully rewrite passages"))

    report = run(project, "paraphrase")
    assert report.stats.sent == report.stats.planned  # a new prompt version: new requests
    build_models(project)

    second = rows(project, "SELECT url, text FROM main.augmented_documents ORDER BY url")
    assert [u for u, _ in second] == [u for u, _ in first]  # still one paraphrase per document part
    versions = rows(
        project,
        """SELECT DISTINCT a.prompt_version FROM main.stg_augmentations a
                                WHERE a.task = 'paraphrase'""",
    )
    assert len(versions) == 1
    assert (
        rows(project, "SELECT count(DISTINCT prompt_version) FROM raw.augmentations WHERE task = 'paraphrase'")[0][0]
        == 2
    )
