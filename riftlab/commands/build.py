"""``riftlab build`` and ``riftlab ls``."""

from __future__ import annotations

import click

from riftlab.commandline import project_options
from riftlab.console import node_line, summarize_build
from warehouse.project import Project
from warehouse.runner.build import NodeResult
from warehouse.runner.manifest import load_manifest


def echo_result(index: int, total: int, result: NodeResult) -> None:
    """One dbt-style line per node: '3 of 12 OK   table  champions ....... 171 rows in 0.12s'."""
    head, label, tail, colour = node_line(index, total, result)
    click.echo(head + click.style(label, fg=colour) + tail)
    for line in (result.error or "").splitlines():
        click.echo(click.style(f"      {line}", fg=colour), err=result.status == "error")


@click.command("build")
@click.option(
    "--select", "-s", "selectors", multiple=True, help="name, name+ (with descendants), +name (with ancestors)."
)
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@project_options
def build(project: Project, selectors: tuple[str, ...], full_refresh: bool) -> None:
    """Build seeds, rule tables and SQL models, each atomically, in DAG order."""
    from warehouse.runner.build import build as run_build

    results = run_build(project, selectors, full_refresh=full_refresh, on_result=echo_result)
    click.echo(summarize_build(results))
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
