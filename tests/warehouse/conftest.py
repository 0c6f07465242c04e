"""Fixtures for the warehouse tests: a throwaway project (see :mod:`tests.warehouse.project`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.warehouse.project import TempProject


@pytest.fixture
def project(tmp_path: Path) -> TempProject:
    return TempProject(tmp_path / "proj")
