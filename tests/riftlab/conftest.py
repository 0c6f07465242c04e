"""Fixtures for the application shell's tests: a throwaway project, and the fixture sites on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from tests.warehouse.project import TempProject


@pytest.fixture
def project(tmp_path: Path) -> TempProject:
    return TempProject(tmp_path / "proj")


@pytest.fixture
def server():
    """The bundled fixture sites on a loopback server (served as they are: no test here changes a page)."""
    with FixtureServer(SITES) as running:
        yield running
