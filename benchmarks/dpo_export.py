"""SFT start -> DPO -> int8 / int4 export -> promote, on SmolLM2 and the real snapshot: the numbers of issue 20.

Each step is the CLI a user runs, in its own process:

    riftlab eval --model START                       (closed-book tasks + validation perplexity)
    riftlab train dpo --base START [--set ...]       (then scored beside START)
    riftlab export DPO_RUN --method int8|int4        (then scored beside DPO_RUN)
    riftlab promote --stage dpo / --stage export

and the script prints, side by side: closed-book accuracy (the four tasks' validation questions
pooled, and per task) and validation perplexity of START, the DPO run and each export, the exports'
weight sizes and ratios, DPO's held-out reward accuracy before and after, and the promote decisions.
START is ``smollm2`` (SmolLM2-135M-Instruct, an instruction-tuned model) or an sft run folder.

The project is built once from the real snapshot in a temporary folder, or taken from --project.
Results: benchmarks/results/dpo_export.json and .md.

    .venv/bin/python benchmarks/dpo_export.py [--project DIR] [--start smollm2] [--set max_steps=40 ...]
        [--methods int8] [--max-chunks 64] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout_quality import REPO, build_project, riftlab  # noqa: E402


def db(project: Path):
    return duckdb.connect(str(project / "data" / "riftlab.duckdb"), read_only=True)


def latest_run(project: Path, stage: str) -> str:
    with db(project) as con:
        return con.execute(
            "SELECT run_id FROM meta.training_runs WHERE status = 'finished' AND stage = ? "
            "ORDER BY finished_at DESC LIMIT 1",
            [stage],
        ).fetchall()[0][0]


def latest_export(project: Path, method: str) -> str:
    with db(project) as con:
        return con.execute(
            "SELECT run_id FROM meta.training_runs WHERE status = 'finished' AND stage = 'export' "
            "AND metrics->>'method' = ? ORDER BY finished_at DESC LIMIT 1",
            [method],
        ).fetchall()[0][0]


def lm_scores(project: Path, model: str) -> dict[str, float]:
    """task/metric -> latest value on the validation split (and ModelSize)."""
    with db(project) as con:
        rows = con.execute(
            "SELECT task, metric, arg_max(value, evaluated_at) FROM meta.eval_results WHERE model = ? "
            "AND (split = 'validation' OR task = 'ModelSize') GROUP BY ALL",
            [model],
        ).fetchall()
    return {f"{task}/{metric}": value for task, metric, value in rows}


def model_name(project: Path, start: str) -> str:
    """What ``meta.eval_results`` calls ``start`` (a run folder's run id): as ``riftlab eval --model`` resolves it."""
    from evaluation.models import resolve

    with db(project) as con:
        return resolve(start, con, project).model


def closed_book(scores: dict[str, float]) -> float | None:
    tasks = [k.split("/")[0] for k in scores if k.endswith("ClosedBook/accuracy")]
    n = [scores.get(f"{t}/questions", 1.0) for t in tasks]
    if not tasks:
        return None
    return sum(scores[f"{t}/accuracy"] * q for t, q in zip(tasks, n, strict=True)) / sum(n)


def run_metrics(project: Path, run_id: str) -> dict:
    with db(project) as con:
        return json.loads(
            con.execute("SELECT metrics FROM meta.training_runs WHERE run_id = ?", [run_id]).fetchone()[0]
        )


def promotions(project: Path) -> list[tuple]:
    with db(project) as con:
        return con.execute(
            "SELECT stage, model, status, reasons FROM meta.promotions WHERE stage IS NOT NULL AND stage <> 'embed' "
            "ORDER BY decided_at"
        ).fetchall()


def use_small_lm_tasks(project: Path, max_chunks: int) -> None:
    """The project's evaluation tasks: perplexity on a fixed sample of ``max_chunks`` chunks, closed-book on
    the validation questions only (2 shared cores)."""
    import yaml

    tasks = project / "lm_tasks"
    if tasks.exists():
        shutil.rmtree(tasks)
    shutil.copytree(REPO / "evaluation" / "tasks", tasks)
    for closed_book_path in tasks.glob("*ClosedBook.yml"):  # the validation questions only (no 'all' diagnostic)
        closed_book_spec = yaml.safe_load(closed_book_path.read_text())
        closed_book_spec["splits"] = ["validation"]
        closed_book_spec.pop("diagnostic_splits", None)
        closed_book_path.write_text(yaml.safe_dump(closed_book_spec, sort_keys=False))
    spec_path = tasks / "LMValidationPerplexity.yml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["params"]["max_chunks"] = max_chunks
    spec["params"]["max_length"] = 256
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    config_path = project / "riftlab.yaml"
    config = yaml.safe_load(config_path.read_text())
    config.setdefault("evaluation", {})["tasks_dir"] = "lm_tasks"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a built riftlab project (default: build the snapshot)")
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    parser.add_argument("--start", default="smollm2", help="what DPO starts from: smollm2 or an sft run folder")
    parser.add_argument("--config", default="dpo_default")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="a dpo override, key=value")
    parser.add_argument("--methods", nargs="+", default=["int8"], help="int4 needs CUDA (torchao 0.18)")
    parser.add_argument("--max-chunks", type=int, default=64, help="validation chunks for the perplexity task")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "dpo_export")
    parser.add_argument(
        "--report-only", action="store_true", help="report the latest dpo and export runs of --project; run nothing"
    )
    args = parser.parse_args()

    temp = None
    if args.project is None:
        temp = tempfile.TemporaryDirectory(prefix="riftlab-dpo-")
        print(f"building the snapshot project in {temp.name} ...", flush=True)
        project = build_project(args.snapshot, Path(temp.name))
    else:
        project = args.project.resolve()
    timings = {}
    if args.report_only:  # the runs were made step by step with the commands above
        dpo = latest_run(project, "dpo")
        exports = {method: latest_export(project, method) for method in args.methods}
    else:
        use_small_lm_tasks(project, args.max_chunks)
        started = time.perf_counter()
        riftlab(project, "eval", "--model", args.start)
        timings["eval start"] = time.perf_counter() - started
        started = time.perf_counter()
        extra = [a for o in args.overrides for a in ("--set", o)]
        print(riftlab(project, "train", "dpo", "--base", args.start, "--config", args.config, *extra)[-3000:])
        timings["train dpo (+ eval)"] = time.perf_counter() - started
        dpo = latest_run(project, "dpo")
        exports = {}
        for method in args.methods:
            started = time.perf_counter()
            print(riftlab(project, "export", dpo, "--method", method, "--max-chunks", "16")[-2000:], flush=True)
            timings[f"export {method} (+ eval)"] = time.perf_counter() - started
            exports[method] = latest_run(project, "export")
    start_name = model_name(project, args.start)
    decisions = []
    for stage in ("dpo", "export"):
        try:
            decisions.append(riftlab(project, "promote", "--stage", stage).strip())
        except SystemExit as exc:
            decisions.append(f"[{stage}] failed: {str(exc)[-300:]}")
    models = {"start": start_name, "dpo": dpo, **{f"export {m}": r for m, r in exports.items()}}
    table = {label: lm_scores(project, model) for label, model in models.items()}
    report = {
        "project": str(project),
        "start": args.start,
        "config": args.config,
        "overrides": args.overrides,
        "models": models,
        "scores": table,
        "closed_book_accuracy": {label: closed_book(s) for label, s in table.items()},
        "dpo_metrics": run_metrics(project, dpo),
        "export_metrics": {m: run_metrics(project, r) for m, r in exports.items()},
        "promotions": promotions(project),
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "report_only": args.report_only,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str))
    labels = list(models)
    keys = sorted({k for s in table.values() for k in s})
    lines = [
        f"# DPO and export on SmolLM2, real snapshot (start: {args.start}, "
        f"preset {args.config} {' '.join(args.overrides)})",
        "",
        "| metric | " + " | ".join(f"{label} (`{models[label]}`)" for label in labels) + " |",
        "|---" * (len(labels) + 1) + "|",
        "| closed-book accuracy (4 tasks pooled, validation) | "
        + " | ".join(f"{report['closed_book_accuracy'][label] or float('nan'):.4f}" for label in labels)
        + " |",
    ]
    lines += [
        f"| {k} | " + " | ".join(f"{table[label].get(k, float('nan')):.4g}" for label in labels) + " |" for k in keys
    ]
    dm = report["dpo_metrics"]
    lines += [
        "",
        f"DPO held-out reward accuracy {dm.get('validation_reward_accuracies_before')} -> "
        f"{dm.get('validation_reward_accuracies')}, margin {dm.get('validation_reward_margins_before')} -> "
        f"{dm.get('validation_reward_margins')} ({dm.get('train_pairs')} train pairs, "
        f"{dm.get('validation_pairs')} validation pairs).",
        "",
    ]
    for method, m in report["export_metrics"].items():
        lines.append(
            f"- export {method}: weights {m['weights_bytes'] / 1e6:.1f} MB against "
            f"{m['source_weights_bytes'] / 1e6:.1f} MB "
            f"({m['size_ratio']}x smaller); perplexity {m['eval_perplexity']} against {m['source_eval_perplexity']}"
        )
    lines += ["", "Promote:", ""] + [f"- {d}" for d in decisions]
    lines += ["", "Seconds (2 shared CPU cores): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), ""]
    args.out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    if temp is not None:
        temp.cleanup()


if __name__ == "__main__":
    main()
