"""Fixtures for augmentation tests: a temp project + warehouse with hand-written inputs, and a local API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.augment.fake_anthropic import FakeAnthropic
from tests.augment.project import API_KEY, REPO, STUB_MODELS, seed_inputs, write_config
from warehouse.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "transforms").mkdir(parents=True)
    shutil.copytree(REPO / "transforms" / "prompts", root / "transforms" / "prompts")
    write_config(root)
    project = Project.load(root, root / "warehouse.duckdb")
    con = project.connect()
    seed_inputs(con)
    con.close()
    return project


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    """The local API, with ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY pointing the SDK at it."""
    with FakeAnthropic() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
        yield server


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)


@pytest.fixture
def models_project(project: Project) -> Project:
    """``project`` with this repository's augment models and stub corpus models, built once."""
    from warehouse.runner.build import build

    models = project.transforms_dir / "models"
    shutil.copytree(REPO / "transforms" / "models" / "augment", models / "augment")
    for name, sql in STUB_MODELS.items():
        (models / name).write_text(sql, encoding="utf-8")
    con = project.connect()
    con.execute("CREATE TABLE raw.fixture_champions AS SELECT * FROM main.champions")
    con.execute("CREATE TABLE raw.fixture_corpus_chunks AS SELECT * FROM main.corpus_chunks")
    con.execute("DROP TABLE main.champions")
    con.execute("DROP TABLE main.corpus_chunks")
    con.close()
    results = build(project)
    assert [r.name for r in results if r.status != "success"] == []
    return project
