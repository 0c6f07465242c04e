"""`riftlab config`: the configuration in force, its JSON Schema for editors, and bad values as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _riftlab(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "riftlab.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_schema_is_printed_without_a_project_and_describes_every_section(tmp_path):
    done = _riftlab(tmp_path, "config", "--schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    from warehouse.config import SECTIONS

    assert schema["$schema"].startswith("https://json-schema.org/") and list(schema["properties"]) == list(SECTIONS)
    crawl = schema["$defs"]["Crawl"]["properties"]
    assert crawl["concurrent_requests"]["minimum"] == 1 and crawl["sink"]["enum"] == ["duckdb", "parquet"]
    assert crawl["max_page_bytes"] == {**crawl["max_page_bytes"], "default": 5_000_000, "minimum": 1024}
    assert schema["$defs"]["Vars"]["additionalProperties"] is True  # vars of your own
    assert "description" in schema["$defs"]["Warehouse"]["properties"]["demo_path"]


def test_schema_accepts_the_repository_file_and_rejects_row9():
    """An editor using the schema flags what the loader refuses."""
    jsonschema = pytest.importorskip("jsonschema")
    from warehouse.config import json_schema

    schema = json_schema()
    config = yaml.safe_load((REPO / "riftlab.yaml").read_text())
    jsonschema.validate(config, schema)
    with pytest.raises(jsonschema.ValidationError, match="-1 is less than the minimum of 1"):
        jsonschema.validate({**config, "crawl": {"concurrent_requests": -1}}, schema)


def test_config_prints_the_new_keys_and_a_bad_value_is_one_line(project):
    shown = yaml.safe_load(project.riftlab("config", "crawl", check=True).stdout)
    assert shown["crawl"]["max_page_bytes"] == 5_000_000
    shown = yaml.safe_load(project.riftlab("config", "warehouse", check=True).stdout)
    assert shown["warehouse"]["demo_path"] == "data/demo/riftlab.duckdb"

    project.write("riftlab.yaml", "vars:\n  split_sed: 3\n")
    done = project.riftlab("config")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        f"error: {project.root / 'riftlab.yaml'}: unknown key 'vars.split_sed' (did you mean 'split_seed'?); "
        "a var of your own needs a name that is not a near-miss of a built-in var"
    )
