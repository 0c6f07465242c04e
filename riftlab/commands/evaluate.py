"""``riftlab eval`` and ``riftlab promote``."""

from __future__ import annotations

import click

from riftlab.commandline import project_options
from warehouse.project import Project


def print_comparison(project: Project, model_names: list[str] | None, console) -> None:
    """Print the tasks x models table of main metrics (and the neighbour chance rates)."""
    from evaluation import results

    con = project.connect(read_only=True)
    try:
        records = results.shown(results.latest(con, model_names))
    finally:
        con.close()
    console.print(results.rich_table(results.compare(records, model_names)))


@click.command("eval")
@click.option(
    "--model",
    "model_refs",
    multiple=True,
    required=True,
    help="minilm, a checkpoint folder or a training run id (repeatable).",
)
@click.option(
    "--tasks",
    "task_names",
    multiple=True,
    help="Task names (repeatable or comma separated; default: evaluation.tasks, or all).",
)
@click.option("--force", is_flag=True, help="Re-run evaluations already stored for the same data snapshot.")
@project_options
def eval_command(project: Project, model_refs: tuple[str, ...], task_names: tuple[str, ...], force: bool) -> None:
    """Evaluate models on the warehouse tasks (mteb); store scores and print the comparison."""
    from rich.console import Console

    from evaluation import runner

    console = Console()
    names = [n.strip() for value in task_names for n in value.split(",") if n.strip()]
    summary = runner.evaluate(project, list(model_refs), names, force=force, console=console)
    for model, task in summary.skipped:
        console.print(
            f"[dim]skipped {model} on {task}: already evaluated on this data snapshot (--force to re-run)[/dim]"
        )
    print_comparison(project, [m.model for m in summary.models], console)
    console.print(summary.line())
    console.print(f"mteb results: {runner.results_dir(project)}")


@click.command("promote")
@click.option("--primary", default=None, help="TASK:SPLIT:METRIC (default: evaluation.primary_metric).")
@click.option(
    "--tolerance",
    type=float,
    default=None,
    help="Largest drop allowed on any other task (default: evaluation.tolerance).",
)
@click.option(
    "--model", "model_names", multiple=True, help="Consider only these models (as stored in meta.eval_results)."
)
@click.option(
    "--stage",
    type=click.Choice(["embed", "clm", "sft", "dpo", "export"]),
    default="embed",
    show_default=True,
    help="What to promote: the embedder (on --primary), or a language-model stage, each with its own current model "
    "and metric: perplexity (clm), closed-book accuracy (sft, dpo), accuracy kept at a smaller size (export).",
)
@click.option(
    "--min-size-ratio",
    type=float,
    default=3.0,
    show_default=True,
    help="export: how many times smaller than its source the weights must be.",
)
@project_options
def promote(
    project: Project,
    primary: str | None,
    tolerance: float | None,
    model_names: tuple[str, ...],
    stage: str,
    min_size_ratio: float,
) -> None:
    """Mark the best evaluated model `current` if it beats the current one without regressions."""
    from evaluation import definitions, promotion
    from training.registry import close_pending
    from training.runner import output_root

    for closed in close_pending(project, output_root(project)):  # a run that ended while the warehouse was locked
        click.echo(f"{closed}: ended while the warehouse was locked; its row is now closed", err=True)
    config = project.config["evaluation"]
    if stage != "embed":
        if primary:
            raise click.UsageError(f"--primary is for the embedder; stage {stage} has its own primary metric")
        con = project.connect()
        try:
            tolerance = config["tolerance"] if tolerance is None else tolerance
            decision = promotion.promote_stage(con, stage, tolerance, list(model_names) or None, min_size_ratio)
        finally:
            con.close()
        click.echo(f"[{stage}] {decision.line()}")
        return
    specs = definitions.load_specs(definitions.tasks_dir(config, project.root))
    ungated = frozenset((spec.name, split) for spec in specs.values() for split in spec.diagnostic_splits)
    con = project.connect()
    try:
        decision = promotion.promote(
            con,
            primary or config["primary_metric"],
            config["tolerance"] if tolerance is None else tolerance,
            list(model_names) or None,
            ungated,
        )
    finally:
        con.close()
    click.echo(decision.line())
