"""``riftlab check``: run the expectation suites, store results, write the data-quality report and Data Docs."""

from __future__ import annotations

import json

import click

from riftlab.commandline import project_options
from riftlab.commands.build import selection_options
from warehouse.project import Project


def print_run(run, console, rows: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"riftlab check {run.check_run_id}")
    table.add_column("table")
    table.add_column("expectation", overflow="fold")
    table.add_column("blocking", justify="center")
    table.add_column("result")
    table.add_column("observed", overflow="fold")
    for outcome in run.outcomes:
        table.add_row(
            escape(outcome.table),
            escape(outcome.expectation.name),
            "yes" if outcome.expectation.blocking else "",
            "[green]pass[/]" if outcome.success else "[red]FAIL[/]",
            escape(outcome.error or outcome.observed or ""),
        )
    console.print(table)
    for outcome in run.failures:
        console.print(f"[red]FAIL[/] {escape(outcome.headline())}", highlight=False, soft_wrap=True)
        for row in outcome.failing_sample[:rows]:
            console.print(
                "    " + json.dumps(row, ensure_ascii=False, default=str), markup=False, highlight=False, soft_wrap=True
            )
    for suite in run.skipped:
        console.print(
            f"[yellow]skipped[/] {escape(suite.table)}: not built ({escape(suite.made_by)} makes it)", soft_wrap=True
        )


@click.command("check")
@selection_options
@click.option("--skip-missing", is_flag=True, help="Skip suites whose table is not built instead of failing.")
@project_options
def check(
    project: Project, selectors: tuple[str, ...], exclude: tuple[str, ...], state: str | None, skip_missing: bool
) -> None:
    """Run the expectation suites of transforms/expectations/ and the data tests against the warehouse."""
    from rich.console import Console

    from warehouse.checks.checker import ChecksFailed, run_checks
    from warehouse.checks.settings import checks_settings

    console = Console()
    run = run_checks(
        project, select=selectors, skip_missing=skip_missing, console=console, exclude=exclude, state=state
    )
    rows = checks_settings(project.config)["sample_rows"]
    print_run(run, console, rows)
    if run.docs_index is not None:
        console.print(f"Data Docs: {run.docs_index}", highlight=False, soft_wrap=True)
    if run.summary_page is not None:
        console.print(
            f"Data-quality report (offline; failing rows, each table's history): {run.summary_page}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"results in meta.check_results (check_run_id = '{run.check_run_id}')", highlight=False, soft_wrap=True
    )
    if run.failures:
        raise ChecksFailed(run.failure_message(rows=rows))
    console.print(f"[green]{len(run.outcomes)} expectations on {len(run.tables)} tables passed[/]")
