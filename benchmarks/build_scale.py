"""How `riftlab build` grows with the corpus, today's cleaning against the baseline's, side by side.

Each factor builds a temporary warehouse, in its own process, from the 171 champions' facts once and
their passages `factor` times (copy 0 the real text, the others seeded reshuffles of the same
champion's sentences, so every model does real work).  Every factor is built twice, one after the
other on the same data: with the SQL functions' cleaning and MinHash modules
(``warehouse/sql_functions/text.py`` and ``minhash.py``) of the baseline commit, loaded from git in
place of the tree's, and with the tree's own.  Everything else (models, tokenizer, DuckDB) is the
tree's, so the ratio is what the two modules cost.  Prints seconds (wall, and the build process's
CPU time), peak RSS, rows, the seconds spent inside each SQL function, the new/baseline ratios,
growth against x1 and the machine's load average (ratios from one run are what count on a shared
machine; absolute seconds move with the load, CPU seconds much less).
Targets: x100 in at most 120x the x1 time, and under 45 s.  Results go to
``benchmarks/results/build_scale.{json,md}``.

    nice -n 10 .venv/bin/python benchmarks/build_scale.py [--factors 1 10 100] [--baseline d84e316]
        [--snapshot ../shared/data/snapshot]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
    """Copy 0 as is; copy k>0 of a passage: a sample of its champion's sentences, reordered.  A passage
    with markup lands in ``html`` (the warehouse's ``html_to_text`` cleans it), plain text in ``text``
    (``clean_text``), as the spiders land them."""
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
            markup = "<" in text  # Meraki's ability texts are HTML: they land as markup, as html
            rows.append(
                {
                    **doc,
                    "url": url,
                    "text": None if markup else text,
                    "html": text if markup else None,
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
import functools, importlib.util, resource, sys, time
from collections import defaultdict
from pathlib import Path

root, baseline = sys.argv[1], sys.argv[2]
if baseline:  # the baseline's modules, loaded under their own names before the package imports them
    for name in ("text", "minhash"):
        qualified = "warehouse.sql_functions." + name
        old = importlib.util.spec_from_file_location(qualified, Path(baseline) / (name + ".py"))
        module = sys.modules[qualified] = importlib.util.module_from_spec(old)
        old.loader.exec_module(module)
        here = Path.cwd() / "warehouse" / "sql_functions" / (name + ".py")
        current = importlib.util.spec_from_file_location("_current_" + name, here)
        newer = importlib.util.module_from_spec(current)
        current.loader.exec_module(newer)
        for attribute, value in vars(newer).items():  # names the tree needs that the baseline lacked
            module.__dict__.setdefault(attribute, value)
    import pyarrow as pa

    minhash = sys.modules["warehouse.sql_functions.minhash"]
    # The baseline's functions as its own registration called them: one Python list, one pair at a time.
    old_signatures, old_similarity = minhash.signatures, minhash.similarity
    minhash.signatures = lambda texts, *args: old_signatures(
        texts.to_pylist() if hasattr(texts, "to_pylist") else texts, *args
    )
    minhash.similarities = lambda a, b: pa.array(
        [old_similarity(x, y) for x, y in zip(a.to_pylist(), b.to_pylist())], type=pa.float64()
    )
    text = sys.modules["warehouse.sql_functions.text"]  # the column functions the tree registers, per row
    per_row = lambda function, kind: lambda a: pa.array([function(v) for v in a.to_pylist()], type=kind)
    text.html_texts = per_row(text.html_text, pa.string())
    text.clean_texts = per_row(text.clean, pa.string())
    text.sentences_of_column = per_row(text.sentences, pa.list_(pa.string()))

import warehouse.sql_functions as functions
from warehouse.project import Project
from warehouse.runner.build import build

spent = defaultdict(float)
register = functions.register


class Timed:
    # a connection whose Python functions add up the seconds spent inside them
    def __init__(self, con):
        self.con = con

    def __getattr__(self, name):
        return getattr(self.con, name)

    def create_function(self, name, function, *args, **kwargs):
        @functools.wraps(function)  # DuckDB counts the parameters of the wrapped function
        def timed(*columns):
            started = time.perf_counter()
            try:
                return function(*columns)
            finally:
                spent[name] += time.perf_counter() - started

        return self.con.create_function(name, timed, *args, **kwargs)


functions.register = lambda con, project: register(Timed(con), project)
started = time.perf_counter()
results = build(Project.load(root))
seconds = time.perf_counter() - started
failed = [r.name + ": " + (r.error or "") for r in results if r.status != "success"]
print()  # (a progress bar may have left its line open)
usage = resource.getrusage(resource.RUSAGE_SELF)
print("BUILD-RESULT", seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
      ",".join(f"{k}={v:.2f}" for k, v in sorted(spent.items())) or "-", ";".join(failed) or "-")
"""

#: the SQL functions reported per build (the rest are summed as "other")
REPORTED = ("minhash", "minhash_similarity", "html_to_text", "clean_text", "split_sentences")


def baseline_modules(revision: str, folder: Path) -> Path:
    """text.py and minhash.py of ``revision`` (from git) in ``folder``."""
    for name in ("text", "minhash"):
        source = subprocess.run(
            ["git", "show", f"{revision}:warehouse/sql_functions/{name}.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder


def measure(factor: int, rows: list[dict], facts: list[dict], baseline: Path | None) -> dict:
    """Build a warehouse of ``rows`` in a fresh process (the baseline's modules when given)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copy(REPO / "riftlab.yaml", root / "riftlab.yaml")
        shutil.copytree(REPO / "transforms", root / "transforms")
        land(root / "data" / "riftlab.duckdb", rows, facts)
        load = os.getloadavg()[0]
        wall = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", BUILD, str(root), str(baseline or "")],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        wall = time.perf_counter() - wall
        which = "baseline" if baseline else "tree"
        if out.returncode != 0:
            raise SystemExit(f"build x{factor} ({which}) crashed:\n{out.stderr[-3000:]}")
        found = re.search(r"^BUILD-RESULT (\S+) (\S+) (\S+) (\S+) (.*)$", out.stdout, re.MULTILINE)
        if not found:
            raise SystemExit(f"build x{factor} ({which}) printed no result:\n{out.stdout[-2000:]}")
        seconds, peak_mb, cpu, spent, failed = found.groups()
        if failed != "-":
            raise SystemExit(f"build x{factor} ({which}) failed: {failed}\n{out.stdout[-3000:]}")
        import duckdb

        con = duckdb.connect(str(root / "data" / "riftlab.duckdb"), read_only=True)
        chunks, tokens = con.execute("select count(*), sum(n_tokens) from main.corpus_chunks").fetchone()
        pairs = con.execute("select count(*) from main.near_duplicate_pairs").fetchone()[0]
        con.close()
        functions = {k: float(v) for k, v in (p.split("=") for p in spent.split(",") if "=" in p)}
        return dict(
            factor=factor,
            code=which,
            passages=len(rows),
            chunks=chunks,
            tokens=int(tokens or 0),
            near_duplicate_pairs=pairs,
            seconds=float(seconds),
            cpu_seconds=float(cpu),
            wall=wall,
            peak_mb=float(peak_mb),
            functions=functions,
            load_before=load,
            load_after=os.getloadavg()[0],
        )


def _functions(result: dict) -> str:
    spent = result["functions"]
    shown = [f"{name} {spent.get(name, 0):.1f}" for name in REPORTED]
    other = sum(v for k, v in spent.items() if k not in REPORTED)
    return ", ".join([*shown, f"other {other:.1f}"])


def write_results(results: list[dict], revision: str, lines: list[str]) -> None:
    folder = REPO / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "build_scale.json").write_text(
        json.dumps({"baseline": revision, "cpus": os.cpu_count(), "results": results}, indent=2), encoding="utf-8"
    )
    (folder / "build_scale.md").write_text(
        "# `riftlab build` x1 / x10 / x100: baseline "
        f"{revision} cleaning + MinHash vs the tree's (`benchmarks/build_scale.py`)\n\n```\n"
        + "\n".join(lines)
        + "\n```\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    parser.add_argument(
        "--baseline", default="d84e316", help="git revision whose text.py and minhash.py are the baseline"
    )
    parser.add_argument("--no-baseline", action="store_true", help="build with the tree's modules only")
    options = parser.parse_args()
    if not (options.snapshot / "meraki" / "champions.json").is_file():
        print(f"snapshot not found at {options.snapshot}; nothing to measure")
        return
    documents, facts = snapshot_passages(options.snapshot)
    results: list[dict] = []
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    say(f"{os.cpu_count()} CPUs; baseline = text.py + minhash.py of {options.baseline}; tree = this checkout")
    say(
        f"{'factor':>6} {'code':>8} {'passages':>9} {'chunks':>8} {'tokens':>10} {'build s':>8} {'CPU s':>7} "
        f"{'peak MB':>8} {'x time':>7} {'new/old':>7} {'CPU n/o':>7} {'load':>9}  seconds inside SQL functions"
    )
    with tempfile.TemporaryDirectory() as folder:
        baseline = None if options.no_baseline else baseline_modules(options.baseline, Path(folder))
        for factor in options.factors:
            rows = replicate(documents, factor)
            pair = [measure(factor, rows, facts, baseline)] if baseline else []
            pair.append(measure(factor, rows, facts, None))
            for result in pair:
                results.append(result)
                first = next(r for r in results if r["code"] == result["code"])
                growth = result["seconds"] / first["seconds"]
                if result is pair[0] and len(pair) > 1:
                    ratio = cpu_ratio = f"{'':>7}"
                else:
                    ratio = f"{result['seconds'] / pair[0]['seconds']:>7.2f}"
                    cpu_ratio = f"{result['cpu_seconds'] / pair[0]['cpu_seconds']:>7.2f}"
                say(
                    f"{factor:>6} {result['code']:>8} {result['passages']:>9} {result['chunks']:>8} "
                    f"{result['tokens']:>10} {result['seconds']:>8.1f} {result['cpu_seconds']:>7.1f} "
                    f"{result['peak_mb']:>8.0f} {growth:>7.1f} {ratio} {cpu_ratio} "
                    f"{result['load_before']:>4.1f}/{result['load_after']:<4.1f}  {_functions(result)}"
                )
    for code in ("baseline", "tree"):
        runs = [r for r in results if r["code"] == code]
        if len(runs) > 1:
            first, last = runs[0], runs[-1]
            scale = last["factor"] / first["factor"]
            ratio = last["seconds"] / first["seconds"]
            verdict = "linear or better" if ratio <= 1.2 * scale else "SUPERLINEAR"
            say(
                f"{code}: x{last['factor']} vs x{first['factor']}: {ratio:.1f}x the time for {scale:.0f}x the data "
                f"({verdict}; target <= {1.2 * scale:.0f}x); x{last['factor']} build {last['seconds']:.0f}s "
                f"(target < 45s), peak {last['peak_mb']:.0f} MB"
            )
    top = max(r["factor"] for r in results)
    old = next((r for r in results if r["code"] == "baseline" and r["factor"] == top), None)
    new = next(r for r in results if r["code"] == "tree" and r["factor"] == top)
    if old:
        say(
            f"x{top}: tree {new['seconds']:.1f}s vs baseline {old['seconds']:.1f}s: "
            f"ratio {new['seconds'] / old['seconds']:.2f}, CPU time {new['cpu_seconds']:.1f}s vs "
            f"{old['cpu_seconds']:.1f}s: ratio {new['cpu_seconds'] / old['cpu_seconds']:.2f} "
            f"({old['seconds'] / new['seconds']:.2f}x faster); near-duplicate pairs {new['near_duplicate_pairs']} vs "
            f"{old['near_duplicate_pairs']}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
    write_results(results, options.baseline, lines)


if __name__ == "__main__":
    main()
