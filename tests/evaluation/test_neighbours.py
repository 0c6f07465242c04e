"""``riftlab neighbours`` and the report's offline search (issue 17), on the 16-champion evaluation warehouse."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from evaluation import neighbours
from riftlab.commands.neighbours import neighbours as neighbours_command
from tests.evaluation.projects import add_training_run
from training.bases import load_sentence_transformer, minilm_path
from warehouse.errors import RiftlabError


def _run(project, *args: str):
    return CliRunner().invoke(neighbours_command, ["--project-dir", str(project.root), *args])


@pytest.fixture(scope="module")
def minilm():
    return load_sentence_transformer(minilm_path())


def test_by_name_ranks_every_other_champion_with_the_labels_it_shares(eval_project, minilm):
    con = eval_project.connect(read_only=True)
    try:
        rows = neighbours.champions(con)
    finally:
        con.close()
    found = neighbours.by_name(minilm, rows, "darius", k=len(rows))  # any case
    assert [n.key for n in found].count("Darius") == 0 and len(found) == len(rows) - 1
    cosines = [n.score for n in found]
    assert cosines == sorted(cosines, reverse=True)
    vectors = minilm.encode([r["name"] for r in rows], normalize_embeddings=True)
    keys = [r["champion_key"] for r in rows]
    garen = next(n for n in found if n.key == "Garen")
    assert garen.score == pytest.approx(float(vectors[keys.index("Darius")] @ vectors[keys.index("Garen")]), abs=1e-5)
    assert garen.shared == {"positions": ["Top"], "classes": ["Fighter"], "subclasses": ["Juggernaut"]}
    assert next(n for n in found if n.key == "Zed").shared == {"positions": [], "classes": [], "subclasses": []}


def test_the_command_prints_k_neighbours_with_shared_labels(eval_project):
    result = _run(eval_project, "Darius", "--model", "minilm", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "nearest to Darius (minilm)" in result.output
    assert "shared positions" in result.output
    ranks = re.findall(r"^│\s+(\d+)\s+│", result.output, flags=re.M)
    assert ranks == ["1", "2", "3"]


def test_kit_text_without_kit_cards_ranks_names_and_says_so(eval_project, minilm):
    """This warehouse has no main.champion_kit_card_hits: the names' cosine to the text is the whole ranking."""
    text = "a ranged marksman with low mobility"  # one part: no comma, semicolon or "and"
    result = _run(eval_project, "--kit", text, "--model", "minilm", "-k", "4")
    assert result.exit_code == 0, result.output
    assert "the warehouse has no kit cards" in " ".join(result.output.split())
    con = eval_project.connect(read_only=True)
    try:
        rows = neighbours.champions(con)
        assert neighbours.kit_sentences(con) == {}
    finally:
        con.close()
    query = minilm.encode([text], normalize_embeddings=True)[0]
    names = minilm.encode([r["name"] for r in rows], normalize_embeddings=True)
    expected = [rows[j]["name"] for j in np.argsort(-(names @ query), kind="stable")[:4]]
    shown = [line for line in result.output.splitlines() if re.match(r"^│\s+\d+\s+│", line)]
    assert [line.split("│")[2].strip() for line in shown] == expected


def test_query_parts_are_the_facts_a_description_lists():
    assert neighbours.query_parts("ranged, physical damage and low mobility") == [
        "ranged",
        "physical damage",
        "low mobility",
    ]
    assert neighbours.query_parts("utility: heals; shields") == ["utility", "heals", "shields"]
    assert neighbours.query_parts("tanky") == ["tanky"]


def test_the_reader_is_the_model_without_its_label_head(minilm):
    """Kit text is compared with kit text where the encoder reads it, not in the head's label space."""
    import torch
    from sentence_transformers import SentenceTransformer

    from training.steps.head import append_head
    from training.steps.label_probabilities import append_probabilities

    model = SentenceTransformer(modules=list(minilm))
    torch.manual_seed(0)
    append_head(model, torch.randn(384, 384), factor=2.0)
    text = ["This champion is ranged and attacks from a distance."]
    assert model.encode(text).shape[-1] == 384 * 2
    read = neighbours.reader(model).encode(text, normalize_embeddings=True)
    assert np.allclose(read, minilm.encode(text, normalize_embeddings=True), atol=1e-5)
    assert neighbours.reader(minilm) is minilm
    append_probabilities(  # embed_kit's last step: class probabilities beside the head's output
        model, {"position": ["Bottom", "Top"]}, np.ones((2, 768), np.float32), np.zeros(2, np.float32), 2.0
    )
    assert model.encode(text).shape[-1] == 384 * 2 + 2
    read = neighbours.reader(model).encode(text, normalize_embeddings=True)
    assert np.allclose(read, minilm.encode(text, normalize_embeddings=True), atol=1e-5)


def test_bad_input_is_one_clear_line(eval_project):
    """User errors are RiftlabErrors (`riftlab` prints them as one line, no traceback)."""
    unknown = _run(eval_project, "Dariuss", "--model", "minilm")
    assert isinstance(unknown.exception, RiftlabError)
    assert str(unknown.exception) == "no champion named 'Dariuss' (did you mean 'Darius'?)"
    neither = _run(eval_project)
    assert neither.exit_code != 0 and "give a champion NAME or --kit TEXT" in neither.output
    none_current = _run(eval_project, "Darius")  # --model current, and nothing trained or promoted
    assert isinstance(none_current.exception, RiftlabError)
    assert "no promoted model and no finished embed run" in str(none_current.exception)


def test_current_is_the_newest_embed_run_when_none_is_promoted(eval_project):
    add_training_run(eval_project, "embed-run-1", minilm_path())
    result = _run(eval_project, "Lux", "-k", "2")
    assert result.exit_code == 0, result.output
    assert "nearest to Lux (embed-run-1)" in result.output


def test_report_embeds_the_search_for_every_champion(evaluated_project):
    from evaluation.report import build_report

    page = build_report(evaluated_project).read_text(encoding="utf-8")
    payload = re.search(r'<script id="search-data" type="application/json">(.*?)</script>', page, re.S)
    assert payload is not None
    data = json.loads(payload.group(1))
    answers = data["minilm"]
    assert len(answers["names"]) == 16
    k = len(answers["names"]["Darius"])
    assert k >= 1 and all(other != "Darius" for other, _, _ in answers["names"]["Darius"])
    assert set(answers["kits"]) == set(neighbours.KIT_PHRASES)
