"""Fixtures for the warehouse tests: a throwaway project (see :mod:`tests.warehouse.project`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.warehouse.project import TempProject


@pytest.fixture
def project(tmp_path: Path) -> TempProject:
    return TempProject(tmp_path / "proj")


@pytest.fixture
def dbt_project(tmp_path: Path):
    """A fresh copy of tests/warehouse/dbt_project/ (see :mod:`tests.warehouse.dbt_fixture`)."""
    from tests.warehouse.dbt_fixture import DbtProject

    return DbtProject(tmp_path / "jaffle")


@pytest.fixture(scope="module")
def built_dbt_project(tmp_path_factory):
    """The dbt-style project built once for a test module, with the build's results."""
    from tests.warehouse.dbt_fixture import DbtProject
    from warehouse.runner.build import build

    project = DbtProject(tmp_path_factory.mktemp("built") / "jaffle")
    project.results = build(project.load())
    return project
