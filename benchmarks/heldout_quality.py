"""Does a trained embedder beat the base MiniLM on champions it never saw in a triplet? Over seeds.

One training run is not evidence on 37 held-out names: two runs of one preset differ as much as
base and trained do.  For each preset and each seed this script runs, each in its own process,
`riftlab train embed --config PRESET --set seed=S` and `riftlab eval --model minilm --model RUN`,
then prints per task and split: the base score, the trained mean with a 95% t-interval over seeds,
the mean difference with its own interval (paired: every seed is compared with the same base), and
how many seeds beat the base.  The verdict column reads "better" only when the whole interval of
the difference lies above zero.

The project is built once in a temporary folder from the real snapshot (Meraki's champions.json
and Data Dragon's champion.json crawled from file:// URLs), or taken from --project.
Results: benchmarks/results/heldout_quality.json and .md.

    .venv/bin/python benchmarks/heldout_quality.py [--presets embed_default embed_inverted embed_plain]
        [--seeds 1 2 3 4 5] [--project DIR] [--snapshot ../shared/data/snapshot] [--set key=value ...]
        [--jobs N]

--jobs N trains and evaluates N seeds at once, each in its own copy of the built project (the base is
evaluated once); training times then include the other jobs' share of the CPU.

A preset may carry its own overrides: ``embed_inverted:invert.steps=100,triplets.epochs=2``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
RIFTLAB = [sys.executable, "-m", "riftlab.cli"]
SPLITS = ("heldout", "validation", "validation_names", "validation_texts")


def riftlab(project: Path, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([*RIFTLAB, *args, "--project-dir", str(project)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"riftlab {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def build_project(snapshot: Path, folder: Path) -> Path:
    shutil.copy(REPO / "riftlab.yaml", folder / "riftlab.yaml")
    shutil.copytree(REPO / "transforms", folder / "transforms")
    for spider, path in (("meraki", "meraki/champions.json"), ("ddragon", "ddragon/champion.json")):
        source = (snapshot / path).resolve()
        if not source.is_file():
            raise SystemExit(f"{source} is missing: pass --snapshot (the folder holding meraki/ and ddragon/)")
        riftlab(folder, "crawl", spider, "--url", source.as_uri())
    riftlab(folder, "build")
    return folder


def copy_project(project: Path, folder: Path) -> Path:
    """A copy of a built project (its riftlab.yaml, transforms and warehouse; no runs) at ``folder``."""
    folder.mkdir(parents=True)
    shutil.copy(project / "riftlab.yaml", folder / "riftlab.yaml")
    shutil.copytree(project / "transforms", folder / "transforms")
    (folder / "data").mkdir()
    shutil.copy(project / "data" / "riftlab.duckdb", folder / "data" / "riftlab.duckdb")
    return folder


def one_seed(project: Path, name: str, seed: int, overrides: list[str]) -> tuple[float, str, dict[str, float]]:
    """Train ``name`` with ``seed`` in ``project``, evaluate it; (training seconds, run id, scores)."""
    started = time.perf_counter()
    extra = [a for o in overrides for a in ("--set", o)]
    riftlab(project, "train", "embed", "--config", name, "--set", f"seed={seed}", *extra)
    seconds = time.perf_counter() - started
    run_id = latest_run(project)
    riftlab(project, "eval", "--model", run_id)
    return seconds, run_id, scores(project, run_id)


def latest_run(project: Path) -> str:
    with duckdb.connect(str(project / "data" / "riftlab.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT run_id FROM meta.training_runs WHERE status = 'finished' ORDER BY finished_at DESC LIMIT 1"
        ).fetchall()[0][0]


def scores(project: Path, model: str) -> dict[str, float]:
    """``task/split`` -> main metric of ``model``'s latest evaluation (``task/split ami``: the clustering AMI)."""
    with duckdb.connect(str(project / "data" / "riftlab.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT task, split, metric, is_main, arg_max(value, evaluated_at) FROM meta.eval_results "
            "WHERE (is_main OR metric = 'ami') AND coalesce(run_id, model) = ? GROUP BY ALL",
            [model],
        ).fetchall()
    return {
        f"{task}/{split}" + ("" if main else f" {metric}"): value
        for task, split, metric, main, value in rows
        if split in SPLITS
    }


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95% t-interval (0 width for one value)."""
    from scipy import stats

    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, float(stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5)


def summarise(base: dict[str, float], runs: dict[str, dict[str, float]]) -> list[dict]:
    rows = []
    for key in sorted(base):
        values = [run[key] for run in runs.values() if key in run]
        if not values:
            continue
        mean, half = interval(values)
        delta, delta_half = interval([v - base[key] for v in values])
        if len(values) < 2:
            verdict = "one seed: no interval"
        else:
            verdict = (
                "better" if delta - delta_half > 0 else "worse" if delta + delta_half < 0 else "no difference shown"
            )
        rows.append(
            {
                "task": key,
                "base": base[key],
                "mean": mean,
                "ci95": half,
                "delta": delta,
                "delta_ci95": delta_half,
                "seeds_above_base": sum(v > base[key] for v in values),
                "seeds": len(values),
                "verdict": verdict,
            }
        )
    return rows


def markdown(preset: str, rows: list[dict], seconds: list[float], jobs: int = 1) -> str:
    shared = f" ({jobs} seeds at once)" if jobs > 1 else ""
    lines = [
        f"### {preset}: {rows[0]['seeds'] if rows else 0} seeds, {statistics.fmean(seconds):.0f} s per training run"
        + shared,
        "",
        "| task / split | base | trained (mean ± 95% CI) | difference (± 95% CI) | seeds above base | verdict |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['base']:.3f} | {r['mean']:.3f} ± {r['ci95']:.3f} "
            f"| {r['delta']:+.3f} ± {r['delta_ci95']:.3f} | {r['seeds_above_base']}/{r['seeds']} | {r['verdict']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["embed_default", "embed_inverted", "embed_plain"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument(
        "--project", type=Path, help="a built riftlab project (default: build the snapshot in a temp folder)"
    )
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="an extra training override, key=value"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "heldout_quality")
    parser.add_argument("--jobs", type=int, default=1, help="seeds at once, each in a copy of the project")
    args = parser.parse_args()

    temp = None
    if args.project is None:
        temp = tempfile.TemporaryDirectory(prefix="riftlab-quality-")
        print(f"building the snapshot project in {temp.name} ...", flush=True)
        project = build_project(args.snapshot, Path(temp.name))
    else:
        project = args.project.resolve()
    try:
        riftlab(project, "eval", "--model", "minilm")
        base = scores(project, "minilm")
        report: dict = {"project": str(project), "base": base, "presets": {}}
        sections = []
        for preset in args.presets:
            name, _, own = preset.partition(":")
            overrides = args.overrides + [o for o in own.split(",") if o]
            runs: dict[str, dict[str, float]] = {}
            seconds = []
            if args.jobs <= 1:
                done = (one_seed(project, name, seed, overrides) for seed in args.seeds)
            else:
                from concurrent.futures import ThreadPoolExecutor

                copies = tempfile.TemporaryDirectory(prefix="riftlab-quality-seeds-")
                pool = ThreadPoolExecutor(args.jobs)
                futures = [
                    pool.submit(
                        one_seed, copy_project(project, Path(copies.name) / f"{name}-{seed}"), name, seed, overrides
                    )
                    for seed in args.seeds
                ]
                done = (future.result() for future in futures)
            for seed, (took, run_id, scored) in zip(args.seeds, done, strict=True):
                seconds.append(took)
                runs[run_id] = scored
                print(f"{preset} seed {seed}: {run_id} in {took:.0f}s", flush=True)
            if args.jobs > 1:
                pool.shutdown()
                copies.cleanup()
            rows = summarise(base, runs)
            report["presets"][preset] = {"runs": runs, "seconds": seconds, "summary": rows, "overrides": overrides}
            sections.append(markdown(preset, rows, seconds, args.jobs))
            print(sections[-1], flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        args.out.with_suffix(".md").write_text(
            "# Held-out quality over seeds (`benchmarks/heldout_quality.py`)\n\n" + "\n\n".join(sections) + "\n",
            encoding="utf-8",
        )
        print(f"written: {args.out.with_suffix('.md')}")
    finally:
        if temp is not None:
            temp.cleanup()


if __name__ == "__main__":
    main()
