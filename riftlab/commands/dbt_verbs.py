"""dbt's other verbs: ``riftlab seed``, ``test``, ``compile`` and ``show``."""

from __future__ import annotations

import json

import click

from riftlab.commandline import project_options
from riftlab.commands.build import echo_result, selection_options
from riftlab.console import summarize_build, summarize_tests
from warehouse.project import Project


@click.command("seed")
@selection_options
@project_options
def seed(project: Project, selectors: tuple[str, ...], exclude: tuple[str, ...], state: str | None) -> None:
    """Load the seeds (transforms/seeds/*.csv) as tables, without their tests (dbt seed)."""
    from warehouse.runner.build import build

    chosen = [f"resource_type:seed,{s}" for term in selectors for s in term.split()] or ["resource_type:seed"]
    results = build(project, chosen, exclude=exclude, state=state, tests=False, on_result=echo_result, command="seed")
    if not results:
        raise click.ClickException("no seeds selected (transforms/seeds/*.csv)")
    click.echo(summarize_build(results))
    if any(r.failed for r in results):
        raise SystemExit(1)


@click.command("test")
@selection_options
@project_options
def test(project: Project, selectors: tuple[str, ...], exclude: tuple[str, ...], state: str | None) -> None:
    """Run the data tests (schema.yml tests and transforms/tests/*.sql) against the published tables."""
    from warehouse.runner.build import run_tests

    results, check_run_id = run_tests(project, selectors, exclude=exclude, state=state, on_result=echo_result)
    if not results:
        raise click.ClickException("no data tests selected (data_tests: in schema.yml, or transforms/tests/*.sql)")
    click.echo(summarize_tests(results))
    if check_run_id:
        click.echo(f"results in meta.check_results (check_run_id = '{check_run_id}')")
    if any(r.failed for r in results):
        raise SystemExit(1)


@click.command("compile")
@selection_options
@project_options
def compile_command(project: Project, selectors: tuple[str, ...], exclude: tuple[str, ...], state: str | None) -> None:
    """Render models and tests to target/compiled/ (one selected node: print its SQL)."""
    from warehouse.runner.compiler import compile_project

    _manifest, compiled = compile_project(project, selectors, exclude, state)
    if not compiled:
        raise click.ClickException("the selection names no model or test to compile")
    models = [c for c in compiled if c.unique_id.startswith("model.")]
    if len(models) == 1 and selectors:  # one model named: its SQL, as dbt compile --select prints it
        click.echo(models[0].sql.rstrip("\n"))
        return
    for item in compiled:
        click.echo(f"{item.name}: {item.path}")
    click.echo(f"{len(compiled)} compiled")


@click.command("show")
@click.option("--select", "-s", "selectors", multiple=True, help="The model whose query to preview.")
@click.option("--inline", default=None, help="SQL to preview instead (ref() works).")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(min=0), help="Rows to show.")
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@project_options
def show(project: Project, selectors: tuple[str, ...], inline: str | None, limit: int, output: str) -> None:
    """Run a model's query (or --inline SQL) read-only and show its first rows (dbt show)."""
    from warehouse.runner.compiler import show as preview_rows

    preview = preview_rows(project, selectors, inline, limit)
    if output == "json":
        rows = [dict(zip(preview.columns, row, strict=True)) for row in preview.rows]
        click.echo(json.dumps(rows, ensure_ascii=False, default=str, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Previewing {preview.title}")
    for column in preview.columns:
        table.add_column(column)
    for row in preview.rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console().print(table)
