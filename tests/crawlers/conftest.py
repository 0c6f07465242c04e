"""Crawler test fixtures: a loopback fixture server over a private copy of the sites, and a project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    """A writable copy of the fixture sites (tests change pages between crawls)."""
    target = tmp_path / "sites"
    shutil.copytree(SITES, target)
    return target


@pytest.fixture
def server(sites: Path):
    with FixtureServer(sites) as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, server: FixtureServer) -> CrawlProject:
    return CrawlProject.serving(tmp_path / "project", server.url)
