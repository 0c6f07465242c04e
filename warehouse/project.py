"""A riftlab project: a folder with ``riftlab.yaml`` and ``transforms/``.

:class:`Project` is what every command receives: the validated configuration,
resolved paths and the warehouse location.  It opens connections through
:mod:`warehouse.db` so that lock and missing-file errors read the same
everywhere.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
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
    #: True when --db or RIFTLAB_DB chose the warehouse (not warehouse.path)
    db_given: bool = False
    #: the offline demo (``riftlab run --demo``): fixture sites, and a warehouse, reports and runs of its own
    demo: bool = False

    @classmethod
    def load(cls, project_dir: str | Path | None = None, db_path: str | Path | None = None) -> Project:
        root = Path(project_dir) if project_dir else Path.cwd()
        root = root.resolve()
        config_file = root / CONFIG_FILE
        if not config_file.is_file():
            hint = "pass --project-dir DIR" if project_dir is None else "check the path"
            raise ConfigError(
                f"{config_file}: no {CONFIG_FILE} here; {hint} (a folder with {CONFIG_FILE} and transforms/)"
            )
        config = load_config(config_file)
        given = db_path or os.environ.get(DB_ENV)
        path = Path(given or config["warehouse"]["path"]).expanduser()
        if not path.is_absolute():
            path = (Path.cwd() if given else root) / path
        return cls(root=root, config=config, db_path=path.resolve(), db_given=bool(given))

    def as_demo(self) -> Project:
        """This project as the offline demo: everything it writes lives under the demo warehouse's folder.

        The demo crawls the bundled fixture sites; its warehouse (``warehouse.demo_path``, or the one
        --db names), reports and training runs are kept apart from the real ones, and the crawl refuses
        a warehouse that holds data from real sources, so the demo never mixes fixture rows into it.
        """
        path = self.db_path if self.db_given else (self.root / self.config["warehouse"]["demo_path"]).resolve()
        config = copy.deepcopy(self.config)
        config["paths"]["reports"] = str(path.parent / "reports")
        config["training"]["output_dir"] = str(path.parent / "runs")
        return replace(self, config=config, db_path=path, demo=True)

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

    # -- warehouse ---------------------------------------------------------------------------
    def connect(self, read_only: bool = False, sandbox: bool = False):
        """Open the warehouse; writable connections make sure schemas and landing tables exist.

        ``sandbox`` (read-only use by ``riftlab query``) turns off file access and extension installs.
        """
        con = db.connect(self.db_path, read_only=read_only, sandbox=sandbox)
        if not read_only:
            db.ensure_schemas(con)
        return con
