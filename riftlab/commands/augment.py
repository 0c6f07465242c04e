"""``riftlab augment TASK``: run one augmentation task (or ``all``) through the Anthropic API."""

from __future__ import annotations

import click

from augment.settings import TASK_NAMES
from riftlab.commandline import project_options
from warehouse.project import Project


@click.command("augment")
@click.argument("task", type=click.Choice([*TASK_NAMES, "all"]))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N work items of the task.")
@click.option("--dry-run", is_flag=True, help="Print the requests, estimated tokens and dollars; send nothing.")
@click.option("--batch", is_flag=True, help="Use the Message Batches API (half price); resumes an open batch.")
@click.option("--model", default=None, help="Model for this run (default: augment.model in riftlab.yaml).")
@project_options
def augment(project: Project, task: str, limit: int | None, dry_run: bool, batch: bool, model: str | None) -> None:
    """Augment the corpus with the Anthropic API: cached, costed, within the budget.

    Answers are cached in raw.llm_calls (rerunning costs nothing) and land in
    raw.augmentations; `riftlab build` publishes them (augmented_documents,
    instruct_pairs, champion_cards).  The key comes from ANTHROPIC_API_KEY only.
    """
    from rich.console import Console

    from augment.run import new_budget, run_task

    console = Console(stderr=False)
    names = TASK_NAMES if task == "all" else [task]
    con = project.connect()
    budget = new_budget(project)
    try:
        for name in names:
            report = run_task(
                project,
                con,
                name,
                limit=limit,
                dry_run=dry_run,
                batch=batch,
                model=model,
                console=console,
                budget=budget,
            )
            for note in report.notes:
                console.print(f"  {note}")
            console.print(report.line(), highlight=False)
    finally:
        con.close()
