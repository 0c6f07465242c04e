"""How `riftlab build` grows with the corpus: the real snapshot's text x1, x10 and x100.

Each factor builds a temporary warehouse, in its own process, from the 171 champions' facts once and
their passages `factor` times (copy 0 the real text, the others seeded reshuffles of the same
champion's sentences, so every model does real work).  Prints seconds, peak RSS, rows, growth
against x1 and the cost per 1,000 passages.  Targets: x100 in at most 120x the x1 time, and under
two minutes on 2 cores.

    .venv/bin/python benchmarks/build_scale.py [--factors 1 10 100] [--snapshot ../shared/data/snapshot]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
FETCHED = datetime(2025, 10, 1)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def snapshot_passages(snapshot: Path) -> tuple[list[dict], list[dict]]:
    """(documents, facts) of the real snapshot in the raw landing shape."""
    meraki = json.loads((snapshot / "meraki" / "champions.json").read_text())
    ddragon = json.loads((snapshot / "ddragon" / "champion.json").read_text())["data"]
    documents, facts = [], []

    def fact(champion, fact_type, value, source):
        facts.append(
            dict(
                champion=champion,
                fact_type=fact_type,
                value=value,
                source=source,
                url=None,
                content_hash=_md5(champion + source),
                fetched_at=FETCHED,
                crawl_run_id="bench",
            )
        )

    def document(source, url, champion, title, section, text, entity_type):
        documents.append(
            dict(
                source=source,
                url=url,
                champion=champion,
                entity=title,
                entity_type=entity_type,
                title=title,
                section_path=section,
                text=text,
            )
        )

    for key, champion in meraki.items():
        for fact_type, values in (
            ("name", [champion["name"]]),
            ("title", [champion["title"]]),
            ("position", champion["positions"]),
            ("subclass", champion["roles"]),
        ):
            for value in values:
                fact(key, fact_type, value, "meraki")
        for slot, abilities in champion["abilities"].items():
            for ability in abilities:
                parts = [e.get("description") or "" for e in ability["effects"]] + [ability.get("notes") or ""]
                document(
                    "meraki",
                    f"bench://meraki/{key}/{slot}/{ability['name']}",
                    key,
                    champion["name"],
                    f"Abilities > {slot} > {ability['name']}",
                    "\n".join(p for p in parts if p),
                    "ability",
                )
        document("meraki", f"bench://meraki/{key}/lore", key, champion["name"], "Lore", champion["lore"], "lore")
    for key, champion in ddragon.items():
        for fact_type, values in (
            ("name", [champion["name"]]),
            ("title", [champion["title"]]),
            ("tag", champion["tags"]),
        ):
            for value in values:
                fact(key, fact_type, value, "ddragon")
        document("ddragon", f"bench://ddragon/{key}", key, champion["name"], "", champion["blurb"], "champion")
    return documents, facts


def replicate(documents: list[dict], factor: int, seed: int = 13) -> list[dict]:
    """Copy 0 as is; copy k>0 of a passage: a sample of its champion's sentences, reordered."""
    pools: dict[str, list[str]] = {}
    for doc in documents:
        pools.setdefault(doc["champion"], []).extend(s for s in SENTENCE.split(doc["text"]) if s.strip())
    rng = random.Random(seed)
    rows = []
    for copy in range(factor):
        for doc in documents:
            text = doc["text"]
            if copy:
                pool = pools[doc["champion"]]
                size = max(1, min(len(pool), len(SENTENCE.split(text))))
                text = " ".join(rng.sample(pool, size))
            url = doc["url"] + (f"#copy{copy}" if copy else "")
            rows.append(
                {
                    **doc,
                    "url": url,
                    "text": text,
                    "html": None,
                    "language": "en",
                    "revision_id": None,
                    "etag": None,
                    "content_hash": _md5(text),
                    "document_version_id": _md5(url + text),
                    "fetched_at": FETCHED,
                    "crawl_run_id": "bench",
                }
            )
    return rows


def land(db: Path, documents: list[dict], facts: list[dict]) -> None:
    import duckdb
    import polars as pl

    sys.path.insert(0, str(REPO))
    from warehouse.db import ensure_schemas

    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db))
    ensure_schemas(con)
    con.register("landing_documents", pl.DataFrame(documents, infer_schema_length=None))
    con.register("landing_facts", pl.DataFrame(facts, infer_schema_length=None))
    con.execute("INSERT INTO raw.documents BY NAME SELECT * FROM landing_documents")
    con.execute("INSERT INTO raw.facts BY NAME SELECT * FROM landing_facts")
    con.close()


BUILD = """
import resource, sys, time
from warehouse.project import Project
from warehouse.runner.build import build
started = time.perf_counter()
results = build(Project.load(sys.argv[1]))
seconds = time.perf_counter() - started
failed = [r.name + ': ' + (r.error or '') for r in results if r.status != 'success']
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, ';'.join(failed) or '-')
"""


def measure(factor: int, documents: list[dict], facts: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copy(REPO / "riftlab.yaml", root / "riftlab.yaml")
        shutil.copytree(REPO / "transforms", root / "transforms")
        rows = replicate(documents, factor)
        land(root / "data" / "riftlab.duckdb", rows, facts)
        wall = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", BUILD, str(root)], cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - wall
        if out.returncode != 0:
            raise SystemExit(f"build x{factor} crashed:\n{out.stderr[-3000:]}")
        seconds, peak_mb, failed = out.stdout.strip().splitlines()[-1].split(" ", 2)
        if failed != "-":
            raise SystemExit(f"build x{factor} failed: {failed}")
        import duckdb

        con = duckdb.connect(str(root / "data" / "riftlab.duckdb"), read_only=True)
        chunks, tokens = con.execute("select count(*), sum(n_tokens) from main.corpus_chunks").fetchone()
        con.close()
        return dict(
            factor=factor,
            passages=len(rows),
            chunks=chunks,
            tokens=tokens,
            seconds=float(seconds),
            wall=wall,
            peak_mb=float(peak_mb),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    options = parser.parse_args()
    if not (options.snapshot / "meraki" / "champions.json").is_file():
        print(f"snapshot not found at {options.snapshot}; nothing to measure")
        return
    documents, facts = snapshot_passages(options.snapshot)
    results = []
    print(
        f"{'factor':>6} {'passages':>9} {'chunks':>8} {'tokens':>10} {'build s':>8} {'peak MB':>8} "
        f"{'x time':>7} {'ms/1k passages':>15}"
    )
    for factor in options.factors:
        result = measure(factor, documents, facts)
        results.append(result)
        base = results[0]
        growth = result["seconds"] / base["seconds"]
        per_k = 1000 * result["seconds"] / result["passages"] * 1000
        print(
            f"{factor:>6} {result['passages']:>9} {result['chunks']:>8} {result['tokens']:>10} "
            f"{result['seconds']:>8.1f} {result['peak_mb']:>8.0f} {growth:>7.1f} {per_k:>15.0f}",
            flush=True,
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        scale = last["factor"] / first["factor"]
        ratio = last["seconds"] / first["seconds"]
        verdict = "linear or better" if ratio <= 1.2 * scale else "SUPERLINEAR"
        print(
            f"x{last['factor']} vs x{first['factor']}: {ratio:.1f}x the time for {scale:.0f}x the data ({verdict}; "
            f"target <= {1.2 * scale:.0f}x); x{last['factor']} build {last['seconds']:.0f}s (target < 120s)"
        )


if __name__ == "__main__":
    main()
