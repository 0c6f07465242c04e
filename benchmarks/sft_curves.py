"""SFT from the base against SFT from the clm output, on the real instruct_pairs, curve against curve.

On a real-corpus project (benchmarks/clm_throughput.py --warehouse builds one and leaves its clm runs
there), this trains ``riftlab train sft`` twice with the same settings: from ``smollm2`` and from a
clm run (``--clm-run``, default the newest finished one), each in SmolLM2's own chat template with the
loss on assistant tokens.  It plots the training loss and the token accuracy on assistant tokens
of both runs per step, lists each run's validation loss / token accuracy before and after, and the
greedy answers to the fixed questions its model card holds.  Then ``riftlab eval`` scores the base,
the clm run and both sft runs on the language-model tasks (closed-book accuracy against chance,
validation perplexity).  Results: benchmarks/results/sft_curves_<device>.{json,md,png}.

    python benchmarks/sft_curves.py --warehouse /tmp/riftlab-snapshot --steps 30 \\
        --set batch_size=4 --set max_seq_length=192 --set max_validation_pairs=32     # this CPU
    python benchmarks/sft_curves.py --warehouse /tmp/riftlab-snapshot --steps 300          # one GPU
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
LM_TASKS = [
    "ChampionPositionClosedBook",
    "ChampionClassClosedBook",
    "ChampionResourceClosedBook",
    "ChampionAttackTypeClosedBook",
    "LMValidationPerplexity",
]


def riftlab(project: Path, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "riftlab.cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"riftlab {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def query(project: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(project / "data" / "riftlab.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def latest_run(project: Path, stage: str) -> tuple[str, str]:
    rows = query(
        project,
        "SELECT run_id, output_path FROM meta.training_runs WHERE stage = ? AND status = 'finished' "
        "ORDER BY finished_at DESC LIMIT 1",
        [stage],
    )
    if not rows:
        raise SystemExit(f"no finished {stage} run in {project}: run benchmarks/clm_throughput.py --warehouse first")
    return rows[0]


def run_record(project: Path, run_id: str, output: str) -> dict:
    folder = Path(output)
    history = json.loads((folder / "log_history.json").read_text())
    metrics = json.loads((folder / "riftlab_run.json").read_text())["metrics"]
    generations = folder / "generations.json"
    curve = [
        {"step": e["step"], "loss": e["loss"], "token_accuracy": e.get("mean_token_accuracy")}
        for e in history
        if "loss" in e and "eval_loss" not in e
    ]
    evals = [
        {"step": e["step"], "eval_loss": e["eval_loss"], "eval_token_accuracy": e.get("eval_mean_token_accuracy")}
        for e in history
        if "eval_loss" in e
    ]
    return {
        "run_id": run_id,
        "metrics": metrics,
        "curve": curve,
        "evals": evals,
        "generations": json.loads(generations.read_text()) if generations.is_file() else [],
    }


def plot(records: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, record in records.items():
        steps = [p["step"] for p in record["curve"]]
        left.plot(steps, [p["loss"] for p in record["curve"]], label=label)
        right.plot(steps, [p["token_accuracy"] for p in record["curve"]], label=label)
    left.set(title="training loss (assistant tokens)", xlabel="step")
    right.set(title="token accuracy (assistant tokens)", xlabel="step")
    for axis in (left, right):
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a real-corpus project with a clm run")
    parser.add_argument("--clm-run", default=None, help="the clm run to start from (default: the newest)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--preset", default="sft_default")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="KEY=VALUE for both runs")
    parser.add_argument("--skip-eval", action="store_true", help="curves only, no riftlab eval")
    parser.add_argument(
        "--runs", nargs=2, metavar=("FROM_BASE", "FROM_CLM"), help="two finished sft runs to compare (no training)"
    )
    args = parser.parse_args()
    project = args.warehouse.resolve()
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    if args.clm_run:
        clm_run = args.clm_run
        (clm_output,) = query(project, "SELECT output_path FROM meta.training_runs WHERE run_id = ?", [clm_run])[0]
    else:
        clm_run, clm_output = latest_run(project, "clm")
    settings = [f"max_steps={args.steps}", "logging_steps=1", *args.sets]
    records: dict[str, dict] = {}
    for index, (label, base) in enumerate((("sft from base", "smollm2"), (f"sft from clm {clm_run}", clm_output))):
        if args.runs:
            run_id = args.runs[index]
            (output,) = query(project, "SELECT output_path FROM meta.training_runs WHERE run_id = ?", [run_id])[0]
        else:
            print(f"== {label}: riftlab train sft --base {base} ...", flush=True)
            command = ["train", "sft", "--config", args.preset, "--base", base]
            riftlab(project, *command, *[a for s in settings for a in ("--set", s)])
            run_id, output = latest_run(project, "sft")
        records[label] = run_record(project, run_id, output)
        print(json.dumps(records[label]["metrics"]), flush=True)
    scores: dict[str, dict[str, float]] = {}
    models = {"base (smollm2)": "smollm2", f"clm {clm_run}": clm_run}
    models.update({label: record["run_id"] for label, record in records.items()})
    if not args.skip_eval:
        print("== riftlab eval on the language-model tasks ...", flush=True)
        riftlab(project, "eval", *[a for m in models.values() for a in ("--model", m)], "--tasks", ",".join(LM_TASKS))
        for model, task, split, metric, value in query(
            project,
            "SELECT model, task, split, metric, arg_max(value, evaluated_at) FROM meta.eval_results "
            "WHERE task IN (SELECT unnest(?)) GROUP BY ALL",
            [LM_TASKS],
        ):
            scores.setdefault(model, {})[f"{task}/{split}/{metric}"] = value
    RESULTS.mkdir(parents=True, exist_ok=True)
    slug = "cpu" if device == "cpu" else device.replace(" ", "_")
    stem = RESULTS / f"sft_curves_{slug}"
    plot(records, stem.with_suffix(".png"))
    report = {"device": device, "steps": args.steps, "settings": settings, "preset": args.preset}
    report |= {"runs": records, "models": models, "scores": scores}
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(report, stem.with_suffix(".png").name), encoding="utf-8")
    print(stem.with_suffix(".md").read_text())


def paired_steps(runs: dict[str, dict]) -> list[str]:
    """The two curves step against step (same seed, same batches): mean difference with its 95% t-interval."""
    from scipy import stats

    (base_label, base), (clm_label, clm) = list(runs.items())[:2]
    lines = []
    for key, better in (("loss", "lower"), ("token_accuracy", "higher")):
        by_step = {p["step"]: p[key] for p in base["curve"]}
        diffs = [p[key] - by_step[p["step"]] for p in clm["curve"] if p["step"] in by_step]
        if len(diffs) < 2:
            continue
        mean = sum(diffs) / len(diffs)
        half = stats.sem(diffs) * stats.t.ppf(0.975, len(diffs) - 1)
        wins = sum(1 for d in diffs if (d < 0 if better == "lower" else d > 0))
        lines.append(
            f"- {key.replace('_', ' ')}, {clm_label} minus {base_label}, step by step on the same batches: "
            f"{mean:+.4f} ± {half:.4f} (95% t-interval over {len(diffs)} steps; {better} in {wins} of {len(diffs)})"
        )
    return lines


def markdown(report: dict, png: str) -> str:
    lines = [
        f"# SFT on instruct_pairs: from the base vs from the clm output ({report['device']})",
        "",
        f"`{report['preset']}` with {' '.join(report['settings'])}; SmolLM2's own chat template, loss and token "
        "accuracy on assistant tokens.",
        "",
        f"![curves]({png})",
        "",
        "| run | train loss first -> last | token acc. first -> last | val. loss before -> after "
        "| val. token acc. after | train s |",
        "|---|---|---|---|---|---|",
    ]
    for label, record in report["runs"].items():
        curve, m = record["curve"], record["metrics"]
        first, last = curve[0], curve[-1]
        lines.append(
            f"| {label} ({record['run_id']}) | {first['loss']:.3f} -> {last['loss']:.3f} "
            f"| {first['token_accuracy']:.3f} -> {last['token_accuracy']:.3f} "
            f"| {m.get('eval_loss_before', float('nan')):.3f} -> {m.get('eval_loss', float('nan')):.3f} "
            f"| {m.get('mean_token_accuracy', float('nan')):.3f} | {m.get('train_seconds')} |"
        )
    lines += ["", *paired_steps(report["runs"])]
    if report["scores"]:
        tasks = sorted({key.rsplit("/", 1)[0] for s in report["scores"].values() for key in s})
        tasks = [t for t in tasks if t.endswith("/validation")]
        lines += ["", "## Language-model tasks (validation: champions no training pair asked about)", ""]
        lines += [
            "| task | " + " | ".join(report["models"]) + " | chance |",
            "|---" * (len(report["models"]) + 2) + "|",
        ]
        for task in tasks:
            metric = "perplexity" if task.startswith("LMValidation") else "accuracy"
            cells = [report["scores"].get(m, {}).get(f"{task}/{metric}") for m in report["models"].values()]
            chance = next(
                (s.get(f"{task}/chance_accuracy") for s in report["scores"].values() if f"{task}/chance_accuracy" in s),
                None,
            )
            text = [f"{c:.3f}" if c is not None else "—" for c in cells]
            chance_text = f"{chance:.3f}" if chance is not None else "—"
            lines.append(f"| {task} {metric} | " + " | ".join(text) + f" | {chance_text} |")
    lines += ["", "## Generations (greedy, from each run's model card)", ""]
    for label, record in report["runs"].items():
        lines += [f"**{label}**", ""]
        lines += [f"- *{g['question']}* {g['answer']}" for g in record["generations"]]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
