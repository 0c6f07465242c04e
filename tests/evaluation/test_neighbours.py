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
    cosines = [n.cosine for n in found]
    assert cosines == sorted(cosines, reverse=True)
    vectors = minilm.encode([r["name"] for r in rows], normalize_embeddings=True)
    keys = [r["champion_key"] for r in rows]
    garen = next(n for n in found if n.key == "Garen")
    assert garen.cosine == pytest.approx(float(vectors[keys.index("Darius")] @ vectors[keys.index("Garen")]), abs=1e-5)
    assert garen.shared == {"positions": ["Top"], "classes": ["Fighter"], "subclasses": ["Juggernaut"]}
    assert next(n for n in found if n.key == "Zed").shared == {"positions": [], "classes": [], "subclasses": []}


def test_the_command_prints_k_neighbours_with_shared_labels(eval_project):
    result = _run(eval_project, "Darius", "--model", "minilm", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "nearest to Darius (minilm)" in result.output
    assert "shared positions" in result.output
    ranks = re.findall(r"^│\s+(\d+)\s+│", result.output, flags=re.M)
    assert ranks == ["1", "2", "3"]


def test_kit_text_finds_champions(eval_project, minilm):
    result = _run(eval_project, "--kit", "ranged, physical damage, low mobility", "--model", "minilm", "-k", "4")
    assert result.exit_code == 0, result.output
    con = eval_project.connect(read_only=True)
    try:
        rows = neighbours.champions(con)
    finally:
        con.close()
    expected = neighbours.by_text(minilm, rows, "ranged, physical damage, low mobility", 4)
    shown = [line for line in result.output.splitlines() if re.match(r"^│\s+\d+\s+│", line)]
    assert [line.split("│")[2].strip() for line in shown] == [n.name for n in expected]
    query = minilm.encode(["ranged, physical damage, low mobility"], normalize_embeddings=True)[0]
    names = minilm.encode([r["name"] for r in rows], normalize_embeddings=True)
    assert expected[0].name == rows[int(np.argmax(names @ query))]["name"]


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
