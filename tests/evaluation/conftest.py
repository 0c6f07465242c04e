"""Fixtures of the evaluation tests: projects from :mod:`tests.evaluation.projects`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evaluation.projects import make_eval_project
from warehouse.project import Project


@pytest.fixture
def eval_project(tmp_path: Path) -> Project:
    """A project folder with riftlab.yaml and a filled warehouse; results and reports under tmp_path."""
    return make_eval_project(tmp_path / "project")


@pytest.fixture(scope="session")
def evaluated_project(tmp_path_factory) -> Project:
    """A filled project on which `riftlab eval --model minilm` has run once (shared; tests restore what they change)."""
    from click.testing import CliRunner

    from riftlab.commands.evaluate import eval_command

    project = make_eval_project(tmp_path_factory.mktemp("evaluated") / "project")
    result = CliRunner().invoke(
        eval_command, ["--project-dir", str(project.root), "--model", "minilm"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return project
