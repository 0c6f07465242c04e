"""A throwaway riftlab project on disk, written file by file, with a real `riftlab` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


class TempProject:
    """A small riftlab project on disk, written file by file."""

    def __init__(self, root: Path):
        self.root = root
        self.db = root / "data" / "wh.duckdb"
        (root / "transforms" / "models").mkdir(parents=True)
        self.write("riftlab.yaml", "warehouse:\n  path: data/wh.duckdb\nvars:\n  greeting: hello\n")

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def model(self, name: str, sql: str) -> Path:
        return self.write(f"transforms/models/{name}.sql", sql)

    def riftlab(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
        result = subprocess.run(
            [sys.executable, "-m", "riftlab.cli", "--project-dir", str(self.root), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.root,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"riftlab {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def load(self):
        from warehouse.project import Project

        return Project.load(self.root)

    def rows(self, sql: str) -> list[tuple]:
        import duckdb

        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
