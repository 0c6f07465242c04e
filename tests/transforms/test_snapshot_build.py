"""Issue 4's acceptance run: the real 171-champion snapshot, crawled into a temporary warehouse,
builds and passes its checks; facts match the file; chunks are patch-independent."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from crawlers.fixtures.server import FixtureServer
from tests.browser import CHROMIUM, offline_chromium


def _riftlab(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "--project-dir", str(root), *args],
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def snapshot_project(snapshot_dir, tmp_path_factory, repo_root):
    root = tmp_path_factory.mktemp("snapshot") / "project"
    root.mkdir()
    shutil.copy(repo_root / "riftlab.yaml", root / "riftlab.yaml")
    shutil.copytree(repo_root / "transforms", root / "transforms")
    with FixtureServer(snapshot_dir) as server:
        meraki = _riftlab(root, "crawl", "meraki", "--url", f"{server.url}/meraki/champions.json")
    assert meraki.returncode == 0, meraki.stdout + meraki.stderr
    ddragon = _riftlab(root, "crawl", "ddragon", "--url", (snapshot_dir / "ddragon" / "champion.json").as_uri())
    assert ddragon.returncode == 0, ddragon.stdout + ddragon.stderr
    build = _riftlab(root, "build")
    check = _riftlab(root, "check")
    con = duckdb.connect(str(root / "data" / "riftlab.duckdb"), read_only=True)
    yield root, build, check, con
    con.close()


def test_build_and_check_pass(snapshot_project):
    _, build, check, _ = snapshot_project
    assert build.returncode == 0, build.stdout + build.stderr
    assert "0 failed" in build.stdout
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r"\d+ expectations on \d+ tables passed", check.stdout)


def test_champions_match_the_snapshot(snapshot_project, snapshot_dir):
    _, _, _, con = snapshot_project
    source = json.loads((snapshot_dir / "meraki" / "champions.json").read_text(encoding="utf-8"))
    canonical = {"TOP": "Top", "JUNGLE": "Jungle", "MIDDLE": "Middle", "BOTTOM": "Bottom", "SUPPORT": "Support"}
    rows = dict(con.execute("select champion_key, positions from main.champions").fetchall())
    assert len(rows) == 171
    assert {k: sorted(v) for k, v in rows.items()} == {
        k: sorted(canonical[p] for p in entry["positions"]) for k, entry in source.items()
    }
    subclasses = dict(con.execute("select champion_key, subclasses from main.champions").fetchall())
    assert all(sorted(s.upper() for s in subclasses[k]) == sorted(e["roles"]) for k, e in source.items())


def test_no_chunk_has_per_rank_values_or_patch_references(snapshot_project):
    _, _, _, con = snapshot_project
    texts = [t for (t,) in con.execute("select text from main.corpus_chunks").fetchall()]
    assert len(texts) > 1000
    per_rank = re.compile(r"\d+(\.\d+)?\s*%?\s*/\s*\d+(\.\d+)?\s*%?\s*/\s*\d")
    patch = re.compile(r"(?i)\bpatch\s+v?\d+\.\d+|\bv\d+\.\d+\b")
    assert [t for t in texts if per_rank.search(t)] == []
    assert [t for t in texts if patch.search(t)] == []


def test_every_triplet_obeys_its_rule_and_spares_heldout(snapshot_project):
    _, _, check, con = snapshot_project
    assert "triplets" in check.stdout
    heldout = [
        k
        for (k,) in con.execute("select champion_key from main.champions where embedding_split = 'heldout'").fetchall()
    ]
    assert 20 <= len(heldout) <= 50
    leaked = con.execute(
        "select count(*) from main.triplets"
        " where anchor_champion in ? or positive_champion in ? or negative_champion in ?",
        [heldout, heldout, heldout],
    ).fetchone()[0]
    assert leaked == 0
    failing = con.execute(
        "select count(*) from meta.check_results where table_name = 'triplets' and not success"
    ).fetchone()[0]
    assert failing == 0


def test_data_docs_render_in_a_browser(snapshot_project, tmp_path):
    root, _, _, _ = snapshot_project
    index = root / "reports" / "data-docs" / "index.html"
    assert index.is_file()
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: the Data Docs file exists but was not rendered")
    dom = offline_chromium(index.as_uri(), tmp_path, "--virtual-time-budget=5000", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "champions" in dom.stdout and "corpus_chunks" in dom.stdout
