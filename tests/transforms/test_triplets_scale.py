"""The triplets model stays linear as champions grow (issue 14, row 14).

Two warehouses of synthetic champions, N and 2N, drawn from the same few positions and
subclasses, so every fact group doubles with N: a model that pairs every champion with
every other does four times the work, a model that draws from bounded pools does twice.
The work is measured as DuckDB's per-operator row counts of the triplets query (the widest
intermediate relation bounds its memory), which is exact and does not depend on the machine.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

POSITIONS = ["TOP", "JUNGLE", "MIDDLE", "BOTTOM", "SUPPORT"]
SUBCLASSES = [
    "Juggernaut",
    "Diver",
    "Burst",
    "Battlemage",
    "Marksman",
    "Assassin",
    "Skirmisher",
    "Vanguard",
    "Warden",
    "Enchanter",
]
SYLLABLES = ["ka", "ri", "mo", "ven", "tal", "or", "shi", "lu", "dra", "gen", "qua", "bel", "nix", "so"]
FETCHED = datetime(2025, 10, 1)
POOL = 8  # candidate_pool for the test: far below the groups of either warehouse


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _landing(count: int) -> tuple[list[dict], list[dict]]:
    """(documents, facts): each champion has a position, a subclass and three passages of its own words."""
    rng = random.Random(count)
    documents, facts = [], []
    for index in range(count):
        key, name = f"Synth{index:04d}", f"Synth {index:04d}"
        values = [("name", name), ("position", POSITIONS[index % 5]), ("subclass", SUBCLASSES[(index // 5) % 10])]
        for fact_type, value in values:
            facts.append(
                dict(
                    champion=key,
                    fact_type=fact_type,
                    value=value,
                    source="meraki",
                    url=None,
                    content_hash=_md5(key),
                    fetched_at=FETCHED,
                    crawl_run_id="synthetic",
                )
            )
        for slot in "QWE":
            words = [rng.choice(SYLLABLES) + rng.choice(SYLLABLES) for _ in range(40)]
            text = f"{name} " + " ".join(words[:20]) + ". " + " ".join(words[20:]) + "."
            url = f"http://127.0.0.1/meraki/{key}/{slot}"
            documents.append(
                dict(
                    document_version_id=_md5(url + text),
                    source="meraki",
                    url=url,
                    champion=key,
                    entity=name,
                    entity_type="ability",
                    title=name,
                    section_path=f"Abilities > {slot}",
                    text=text,
                    html=None,
                    language="en",
                    revision_id=None,
                    etag=None,
                    content_hash=_md5(text),
                    fetched_at=FETCHED,
                    crawl_run_id="synthetic",
                )
            )
    return documents, facts


def _project(repo_root: Path, root: Path, champions: int):
    from warehouse.project import Project

    root.mkdir(parents=True)
    shutil.copytree(repo_root / "transforms", root / "transforms")
    rules = root / "transforms" / "rules" / "triplets.yml"
    rules.write_text(re.sub(r"(?m)^candidate_pool:.*\n", "", rules.read_text()) + f"candidate_pool: {POOL}\n")
    (root / "riftlab.yaml").write_text(
        "warehouse:\n  path: data/wh.duckdb\nvars:\n  chunk_tokenizer: whitespace\n  heldout_ratio: 0.2\n"
    )
    project = Project.load(root)
    documents, facts = _landing(champions)
    con = project.connect()
    try:
        con.register("landing_documents", pl.DataFrame(documents, infer_schema_length=None))
        con.register("landing_facts", pl.DataFrame(facts, infer_schema_length=None))
        con.execute("INSERT INTO raw.documents BY NAME SELECT * FROM landing_documents")
        con.execute("INSERT INTO raw.facts BY NAME SELECT * FROM landing_facts")
    finally:
        con.close()
    return project


def _operators(node: dict):
    yield node
    for child in node.get("children", []):
        yield from _operators(child)


def _triplets_work(project) -> dict[str, int]:
    """Build everything triplets needs, then run its SQL with profiling: output, widest and total rows."""
    from warehouse.runner.build import build, render_model
    from warehouse.runner.manifest import load_manifest
    from warehouse.sql_functions import register

    results = build(project, ("+triplets",))
    assert all(r.status == "success" for r in results), [(r.name, r.error) for r in results if r.error]
    manifest = load_manifest(project.transforms_dir, dict(project.config["vars"]))
    sql = render_model(manifest, manifest.nodes["triplets"], incremental=False)
    con = project.connect()
    try:
        register(con, project)
        con.execute("PRAGMA enable_profiling = 'no_output'")
        rows = len(con.execute(sql).fetchall())
        profile = json.loads(con.get_profiling_information(format="json"))
    finally:
        con.close()
    counts = [op.get("intermediate_rows", 0) for top in profile["operator"] for op in _operators(top)]
    return {"output": rows, "widest": max(counts), "total": sum(counts)}


@pytest.fixture(scope="module")
def work(repo_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("triplets_scale")
    return {n: _triplets_work(_project(repo_root, folder / str(n), n)) for n in (120, 240)}


def test_triplets_work_grows_linearly_with_champions(work):
    small, large = work[120], work[240]
    assert small["output"] > 0
    for measure in ("output", "widest", "total"):
        assert large[measure] <= 2.5 * small[measure], (measure, small, large)
