"""``riftlab build`` and ``riftlab ls``."""

from __future__ import annotations

import click

from warehouse.commandline import project_options
from warehouse.project import Project
from warehouse.runner.build import NodeResult
from warehouse.runner.manifest import load_manifest

_STATUS = {"success": ("OK", "green"), "error": ("ERROR", "red"), "skipped": ("SKIP", "yellow")}


def echo_result(index: int, total: int, result: NodeResult) -> None:
    """One dbt-style line per node: '3 of 12 OK   table  champions ....... 171 rows in 0.12s'."""
    label, colour = _STATUS[result.status]
    kind = result.materialized if result.kind == "model" else result.kind
    detail = f"{result.rows} rows in {result.seconds:.2f}s" if result.status == "success" else ""
    head = f"{index:>3} of {total} {click.style(f'{label:<5}', fg=colour)} {kind:<11} {result.name} "
    click.echo(head + "." * max(3, 60 - len(result.name) - len(kind)) + f" {detail}")
    if result.error:
        for line in result.error.splitlines():
            click.echo(click.style(f"      {line}", fg=colour), err=result.status == "error")


def summarize(results: list[NodeResult]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in _STATUS}
    return f"{counts['success']} built, {counts['error']} failed, {counts['skipped']} skipped"


@click.command("build")
@click.option("--select", "-s", "selectors", multiple=True, help="name, name+ (with descendants), +name (with ancestors).")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@project_options
def build(project: Project, selectors: tuple[str, ...], full_refresh: bool) -> None:
    """Build seeds, rule tables and SQL models, each atomically, in DAG order."""
    from warehouse.runner.build import build as run_build

    results = run_build(project, selectors, full_refresh=full_refresh, on_result=echo_result)
    click.echo(summarize(results))
    if any(r.status == "error" for r in results):
        raise SystemExit(1)


@click.command("ls")
@project_options
def ls(project: Project) -> None:
    """List models, seeds and rule tables in DAG order with materialization and upstreams."""
    manifest = load_manifest(project.transforms_dir, dict(project.config["vars"]))
    rows = []
    for name in manifest.order:
        node = manifest.nodes[name]
        kind = node.materialized if node.kind == "model" else node.kind
        upstream = ", ".join(node.refs + [f"{s}.{t}" for s, t in node.sources]) or "-"
        rows.append((name, kind, upstream))
    width = max(len(r[0]) for r in rows)
    kind_width = max(len(r[1]) for r in rows)
    click.echo(f"{'name':<{width}}  {'kind':<{kind_width}}  upstream")
    for name, kind, upstream in rows:
        click.echo(f"{name:<{width}}  {kind:<{kind_width}}  {upstream}")
