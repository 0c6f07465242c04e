"""``riftlab train STAGE`` and ``riftlab runs``.

Heavy imports (torch, transformers) happen inside the command, after the preset
has been checked, so a typo in ``--set`` fails instantly.
"""

from __future__ import annotations

import json

import click

from riftlab.commandline import project_options
from warehouse.project import Project

STAGES = ("embed", "clm", "sft", "dpo")


@click.command("train")
@click.argument("stage", type=click.Choice(STAGES))
@click.option(
    "--config",
    "preset",
    default=None,
    help="Preset name (training/configs/NAME.yaml) or YAML file; default from riftlab.yaml.",
)
@click.option(
    "--base",
    default=None,
    help="Base model: a local folder, a run's output path, 'minilm' (embed) or 'smollm2' (a pretrained decoder).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a preset key (repeatable), e.g. --set epochs=2 --set lora.r=16; "
    "an embed step's setting is STEP.KEY, e.g. --set head.steps=100.",
)
@click.option(
    "--no-eval",
    is_flag=True,
    help="dpo: skip scoring the run beside the model it started from on the language-model tasks.",
)
@project_options
def train(
    project: Project, stage: str, preset: str | None, base: str | None, overrides: tuple[str, ...], no_eval: bool
) -> None:
    """Train STAGE (embed, clm, sft or dpo) on the warehouse and register the run in meta.training_runs.

    A dpo run is then scored beside the model it started from on the closed-book and perplexity tasks.
    """
    from rich.console import Console
    from rich.table import Table

    from training.runner import train as run_training

    console = Console()
    from training import distributed

    result = run_training(project, stage, preset=preset, base=base, overrides=overrides, console=console)
    if not distributed.is_main():
        return
    table = Table(title=f"{result.run_id} finished in {result.seconds:.0f}s")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in sorted(result.metrics.items()):
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
    if stage == "dpo" and not no_eval:
        _evaluate_dpo(project, result, console)
    console.print(f"checkpoint: {result.output_path}")


def _evaluate_dpo(project: Project, result, console) -> None:
    """The dpo run and its start (an sft run, or a base) on the language-model tasks; scores into its card."""
    from riftlab.commands.export import evaluate_beside, refresh_card
    from training import bases
    from training.registry import list_runs

    base = next(r["base_model"] for r in list_runs(project, limit=100000) if r["run_id"] == result.run_id)
    start = (
        base if base.lower() in ("smollm2", "smollm2-135m-instruct") else str(bases.resolve(base, "dpo", project.root))
    )
    evaluate_beside(project, [start, result.run_id], console)
    refresh_card(project, result.run_id, result.output_path)


@click.command("runs")
@click.option("--stage", type=click.Choice([*STAGES, "export"]), default=None, help="Only runs of this stage.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@project_options
def runs(project: Project, stage: str | None, limit: int, as_json: bool) -> None:
    """List training runs (newest first) from meta.training_runs."""
    from training.registry import close_pending, list_runs, reap_abandoned
    from training.runner import output_root

    for closed in close_pending(project, output_root(project)):
        click.echo(f"{closed}: ended while the warehouse was locked; its row is now closed", err=True)
    for stale in reap_abandoned(project, output_root(project)):
        click.echo(f"{stale}: its process is gone; closed as failed", err=True)
    rows = list_runs(project, stage, limit)
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="training runs")
    table.add_column("run_id", no_wrap=True)
    for column in ("stage", "preset", "status", "started", "key metrics", "output / error"):
        table.add_column(column, overflow="fold")
    colours = {"finished": "green", "failed": "red", "running": "yellow"}
    for row in rows:
        metrics = row["metrics"]
        keys = [
            k
            for k in (
                "validation_accuracy",
                "eval_loss",
                "eval_perplexity",
                "heldout_subclass_5nn",
                "validation_reward_accuracies",
                "size_ratio",
            )
            if isinstance(metrics.get(k), (int, float))
        ]
        table.add_row(
            row["run_id"],
            row["stage"],
            row["preset"] or "",
            f"[{colours.get(row['status'], 'white')}]{row['status']}[/]",
            f"{row['started_at']:%Y-%m-%d %H:%M}",
            ", ".join(f"{k}={metrics[k]:.4g}" for k in keys),
            row["error"] or row["output_path"] or "",
        )
    Console().print(table if rows else "no training runs yet: `riftlab train embed`")
