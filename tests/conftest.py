"""Fixtures shared by every test area.

Area-specific fixtures live in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO.parent / "shared" / "data" / "snapshot"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    """The real 171-champion snapshot in ../shared; tests that need it skip when it is absent."""
    if not (SNAPSHOT / "meraki" / "champions.json").is_file():
        pytest.skip("../shared/data/snapshot is not present")
    return SNAPSHOT


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of this repository's riftlab project (riftlab.yaml + transforms/) in a temp folder."""
    target = tmp_path / "project"
    target.mkdir()
    shutil.copy(REPO / "riftlab.yaml", target / "riftlab.yaml")
    shutil.copytree(REPO / "transforms", target / "transforms")
    return target
