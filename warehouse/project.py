"""A riftlab project: a folder with ``riftlab.yaml`` and ``transforms/``.

:class:`Project` is what every command receives: the validated configuration,
resolved paths and the warehouse location.  It opens connections through
:mod:`warehouse.db` so that lock and missing-file errors read the same
everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse import db
from warehouse.config import CONFIG_FILE, load_config
from warehouse.errors import ConfigError

DB_ENV = "RIFTLAB_DB"


@dataclass
class Project:
    root: Path
    config: dict[str, Any]
    db_path: Path
    _schemas_ready: bool = field(default=False, repr=False)

    @classmethod
    def load(cls, project_dir: str | Path | None = None, db_path: str | Path | None = None) -> Project:
        root = Path(project_dir) if project_dir else Path.cwd()
        root = root.resolve()
        config_file = root / CONFIG_FILE
        if not config_file.is_file():
            hint = "pass --project-dir DIR" if project_dir is None else "check the path"
            raise ConfigError(f"{config_file}: no {CONFIG_FILE} here; {hint} (a folder with {CONFIG_FILE} and transforms/)")
        config = load_config(config_file)
        chosen = db_path or os.environ.get(DB_ENV) or config["warehouse"]["path"]
        path = Path(chosen).expanduser()
        if not path.is_absolute():
            path = (Path.cwd() if (db_path or os.environ.get(DB_ENV)) else root) / path
        return cls(root=root, config=config, db_path=path.resolve())

    # -- paths -------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """A folder from the ``paths`` section, resolved against the project root."""
        return (self.root / self.config["paths"][name]).resolve()

    @property
    def transforms_dir(self) -> Path:
        return self.path("transforms")

    @property
    def reports_dir(self) -> Path:
        return self.path("reports")

    @property
    def runs_dir(self) -> Path:
        return self.path("runs")

    # -- warehouse ---------------------------------------------------------------------------
    def connect(self, read_only: bool = False):
        """Open the warehouse; writable connections make sure schemas and landing tables exist."""
        con = db.connect(self.db_path, read_only=read_only)
        if not read_only:
            db.ensure_schemas(con)
        return con
