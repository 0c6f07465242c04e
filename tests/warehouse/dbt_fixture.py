"""The dbt-style project of tests/warehouse/dbt_project/, copied to a temporary folder per use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

SOURCE = Path(__file__).resolve().parent / "dbt_project"


class DbtProject:
    """A copy of the dbt-style project: build it, break it, read its warehouse and artefacts."""

    def __init__(self, root: Path):
        shutil.copytree(SOURCE, root)
        self.root = root
        self.db = root / "data" / "jaffle.duckdb"
        self.target = root / "target"

    def load(self):
        from warehouse.project import Project

        return Project.load(self.root)

    def manifest(self):
        from warehouse.runner.manifest import load_project_manifest

        return load_project_manifest(self.load())

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def riftlab(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
        return subprocess.run(
            [sys.executable, "-m", "riftlab.cli", "--project-dir", str(self.root), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.root,
            timeout=120,
        )

    def invoke(self, *args: str):
        """``riftlab ARGS`` in this process (click's runner): exit_code, stdout, stderr; one-line errors too."""
        from click.testing import CliRunner

        from riftlab.cli import cli
        from warehouse.errors import RiftlabError

        result = CliRunner().invoke(cli, ["--project-dir", str(self.root), *args])
        if isinstance(result.exception, RiftlabError):  # what riftlab.cli.main prints as "error: ..."
            raise result.exception
        return result

    def rows(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
