"""``riftlab docs``: a static, offline page of the DAG with descriptions, tests, runs and column lineage."""

from __future__ import annotations

import click

from riftlab.commandline import project_options
from warehouse.project import Project


@click.command("docs")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML file (default: <reports>/docs/index.html).",
)
@project_options
def docs(project: Project, output: str | None) -> None:
    """Write one offline HTML page: the DAG, every model's columns, tests, last build and column lineage."""
    from pathlib import Path

    from warehouse.docs.page import build_docs

    page, target = build_docs(project, Path(output) if output else None)
    models = sum(1 for n in page.nodes if n.kind == "model")
    click.echo(
        f"{len(page.nodes)} nodes ({models} models), {page.column_count} columns: "
        f"lineage resolved for {page.resolved}, not resolved for {page.unresolved}"
    )
    for node in page.nodes:
        if node.lineage_error:
            click.echo(f"  {node.name}: {node.lineage_error}")
    click.echo(f"HTML: {target}")
