"""The ``augment`` stage of ``riftlab run``.

Offline (no ``ANTHROPIC_API_KEY``): the API tasks are skipped with one line;
the rule-based champion cards and factual pairs are SQL models
(``transforms/models/augment/``) that ``riftlab build`` already published.
With a key: the tasks in ``augment.run_tasks`` run within the budget (cached
answers cost nothing), then the augment models are rebuilt.
"""

from __future__ import annotations

from typing import Any

from augment.client import API_KEY_ENV, has_api_key
from warehouse.errors import StageSkipped

#: The model every published augmentation descends from: rebuilding it and its descendants
#: publishes new rows (and lets the corpus models take in augmented documents).
ROOT_MODEL = "stg_augmentations"


def _rebuild_models(project: Any, console: Any) -> str:
    """Publish the new rows: build ``stg_augmentations`` and everything downstream of it."""
    from warehouse.errors import RiftlabError
    from warehouse.runner.build import build

    results = build(project, (f"{ROOT_MODEL}+",))
    failed = [r for r in results if r.status == "error"]
    if failed:
        raise RiftlabError(
            f"augmentations landed, but publishing failed: {failed[0].name}: {failed[0].error.splitlines()[0]}"
        )
    return f"{len(results)} models rebuilt"


def run_stage(project: Any, console: Any) -> str:
    if not has_api_key():
        raise StageSkipped(
            f"{API_KEY_ENV} not set: API augmentation skipped; "
            "rule-based cards and factual pairs come from `riftlab build`"
        )
    from augment.errors import BudgetExceeded
    from augment.run import new_budget, run_task

    tasks = list(project.config["augment"]["run_tasks"])
    if not tasks:
        raise StageSkipped("augment.run_tasks is empty")
    con = project.connect()
    budget = new_budget(project)
    sent = 0
    stopped = ""
    try:
        for name in tasks:
            try:
                report = run_task(project, con, name, console=console, budget=budget)
            except BudgetExceeded as exc:
                # what was answered is landed; publish it and let the later stages run
                console.print(f"[yellow]{exc}[/]", highlight=False)
                sent += exc.report.stats.sent
                stopped = f"; budget reached at {name} ({budget.describe()})"
                break
            console.print(report.line(), highlight=False)
            sent += report.stats.sent
    finally:
        con.close()
    published = _rebuild_models(project, console)
    return f"{len(tasks)} tasks, {sent} requests sent, ${budget.spent:.4f} spent{stopped}; {published}"
