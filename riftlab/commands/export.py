"""``riftlab export``: quantise a run's merged model, then score it against its source on the language-model tasks.

Also home of what ``train dpo`` and ``export`` share: evaluating a new checkpoint beside the model it
came from (:func:`evaluate_beside`) and writing those scores into its model card's model-index
(:func:`refresh_card`).
"""

from __future__ import annotations

from pathlib import Path

import click

from riftlab.commandline import project_options
from warehouse.project import Project

#: meta.eval_results rows an export adds beside the task scores: its weights on disk
SIZE_TASK, SIZE_METRIC = "ModelSize", "weights_mb"


def evaluate_beside(project: Project, references: list[str], console) -> None:
    """Score ``references`` on the language-model tasks (stored in meta.eval_results) and print them side by side."""
    from evaluation import runner
    from riftlab.commands.evaluate import print_comparison

    summary = runner.evaluate(project, references, console=console)
    print_comparison(project, [m.model for m in summary.models], console)
    console.print(summary.line())


def refresh_card(project: Project, run_id: str, folder: Path) -> None:
    """Put every meta.eval_results score of ``run_id``, and the run's own validation numbers, in its card."""
    from evaluation import results
    from training import card
    from training.registry import list_runs

    con = project.connect(read_only=True)
    try:
        records = results.latest(con, [run_id])
    finally:
        con.close()
    row = next((r for r in list_runs(project, limit=100000) if r["run_id"] == run_id), None)
    own = card.run_evaluations(row["stage"], row["metrics"]) if row else []
    evaluations = own + [
        card.Evaluation(r["task"], r["task"], r["split"], r["metric"], float(r["value"]))
        for r in records
        if r["value"] is not None
    ]
    card.refresh_evaluations(folder / card.CARD, evaluations)


def store_size(project: Project, run_id: str, snapshot_id: str, weights: dict[str, int]) -> None:
    """Record each model's weights (MB on disk) in meta.eval_results under :data:`SIZE_TASK`."""
    from evaluation.results import Score, store

    scores = [
        Score(model, run_id if model == run_id else None, SIZE_TASK, "all", SIZE_METRIC, n / 1e6, False, snapshot_id)
        for model, n in weights.items()
    ]
    con = project.connect()
    try:
        store(con, scores)
    finally:
        con.close()


@click.command("export")
@click.argument("source")
@click.option(
    "--method",
    type=click.Choice(["int8", "int4"]),
    default="int8",
    show_default=True,
    help="torchao weight-only quantisation of every linear layer: int8, or int4 (group 128; needs CUDA); "
    "the rest in bf16.",
)
@click.option("--max-chunks", type=int, default=64, show_default=True, help="Validation chunks for the perplexity.")
@click.option("--no-eval", is_flag=True, help="Skip the language-model tasks (closed-book, perplexity) afterwards.")
@project_options
def export(project: Project, source: str, method: str, max_chunks: int, no_eval: bool) -> None:
    """Quantise SOURCE (a finished dpo/sft/clm run id or folder) into a checkpoint transformers loads on CPU."""
    from rich.console import Console

    from training.export import export as run_export

    console = Console()
    result = run_export(project, source, method, max_chunks=max_chunks, console=console)
    m = result.metrics
    source_name = result.source_run_id or str(result.source)
    store_size(
        project,
        result.run_id,
        result.snapshot_id,
        {result.run_id: m["weights_bytes"], source_name: m["source_weights_bytes"]},
    )
    console.print(
        f"{result.run_id}: {method} weights {m['weights_bytes'] / 1e6:.1f} MB against "
        f"{m['source_weights_bytes'] / 1e6:.1f} MB ({m['size_ratio']:.2f}x smaller); "
        f"validation perplexity {m['eval_perplexity']:.3f} against {m['source_eval_perplexity']:.3f}"
    )
    if not no_eval:
        evaluate_beside(project, [source_name, result.run_id], console)
    refresh_card(project, result.run_id, result.output_path)
    console.print(f"checkpoint: {result.output_path}")
