"""The transform tests' riftlab.yaml: the repository's, with a test warehouse and fixed held-out champions."""

from __future__ import annotations

from pathlib import Path

HELDOUT = ["Braum"]


def write_config(root: Path, extra_vars: str = "") -> None:
    text = (root / "riftlab.yaml").read_text()
    text = text.replace("path: data/riftlab.duckdb", "path: data/test.duckdb")
    text = text.replace("heldout_champions: []", f"heldout_champions: {HELDOUT}")
    (root / "riftlab.yaml").write_text(text + extra_vars)
