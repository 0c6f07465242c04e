"""A copy of the project's transforms over a small hand-written raw landing, built once per module."""

from __future__ import annotations

import duckdb
import pytest

from tests.transforms import raw_landing
from tests.transforms.project import write_config


@pytest.fixture(scope="module")
def built(tmp_path_factory, repo_root):
    """(project, read-only connection) after one full build of the fixture landing."""
    import shutil

    from warehouse.project import Project
    from warehouse.runner.build import build

    root = tmp_path_factory.mktemp("transforms") / "project"
    root.mkdir()
    shutil.copy(repo_root / "riftlab.yaml", root / "riftlab.yaml")
    shutil.copytree(repo_root / "transforms", root / "transforms")
    write_config(root)
    project = Project.load(root)
    raw_landing.land(project)
    results = build(project)
    failures = [f"{r.name}: {r.error}" for r in results if r.status != "success"]
    assert not failures, "\n".join(failures)
    con = duckdb.connect(str(project.db_path), read_only=True)
    yield project, con
    con.close()
