"""Prompt templates versioned by content hash, and the request hash built on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from augment.prompts import PromptLibrary
from augment.requests import LLMRequest
from warehouse.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(REPO / "transforms" / "prompts", folder)
    return folder


def test_every_shipped_prompt_renders_its_two_parts(prompts):
    library = PromptLibrary(prompts)
    inputs = dict(
        text="Aatrox dashes.",
        section="Abilities",
        source="wiki",
        champion="Aatrox",
        name="Aatrox",
        title="the Darkin Blade",
        positions=["Top"],
        classes=["Fighter"],
        subclasses=["Juggernaut"],
        grounding=[{"section": "Abilities", "source": "wiki", "text": "Aatrox dashes."}],
        n_pairs=3,
        style="technical",
        length="concise",
        question="q",
        answer="a",
        answer_a="a",
        answer_b="b",
        error="bad",
    )
    for path in sorted(prompts.glob("[!_]*.j2")):
        system, user = library.get(path.stem).render(**inputs)
        assert user, path.name
        assert system or path.stem == "repair", path.name
        assert "{{" not in system + user and "{%" not in system + user


def test_version_follows_the_template_and_its_partials(prompts):
    before = PromptLibrary(prompts).get("paraphrase").version
    assert PromptLibrary(prompts).get("paraphrase").version == before
    rules = prompts / "_rules.j2"
    rules.write_text(rules.read_text() + "- Be brief.\n")
    after_partial = PromptLibrary(prompts).get("paraphrase").version
    assert after_partial != before
    template = prompts / "paraphrase.j2"
    template.write_text(template.read_text().replace("writer", "editor"))
    assert PromptLibrary(prompts).get("paraphrase").version not in (before, after_partial)


def test_template_errors_name_the_file(prompts):
    (prompts / "broken.j2").write_text("{% block system %}x{% endblock %}\n{% block user %}{{ text {% endblock %}")
    (prompts / "one_block.j2").write_text("{% block user %}{{ text }}{% endblock %}")
    library = PromptLibrary(prompts)
    with pytest.raises(ConfigError, match=r"broken\.j2:2: Jinja syntax error"):
        library.get("broken")
    with pytest.raises(ConfigError, match=r"one_block\.j2: a prompt template needs the blocks .* \(missing: system\)"):
        library.get("one_block")
    with pytest.raises(ConfigError, match=r"missing\.j2: prompt template not found"):
        library.get("missing")
    with pytest.raises(ConfigError, match=r"paraphrase\.j2: 'text' is undefined"):
        library.get("paraphrase").render(section="", source="wiki", champion="")


def test_request_hash_covers_model_prompt_version_and_inputs():
    base = dict(
        task="t", prompt="p", prompt_version="v1", model="m", system="s", messages=(("user", "u"),), max_tokens=10
    )
    request = LLMRequest(**base)
    assert request.request_hash == LLMRequest(**base, context={"anything": 1}).request_hash  # context is not hashed
    for change in (
        {"model": "m2"},
        {"prompt_version": "v2"},
        {"system": "s2"},
        {"messages": (("user", "u2"),)},
        {"max_tokens": 11},
    ):
        assert LLMRequest(**{**base, **change}).request_hash != request.request_hash
    params = request.params()
    assert params["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert params["messages"] == [{"role": "user", "content": "u"}]
