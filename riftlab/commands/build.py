"""``riftlab build`` and ``riftlab ls``, with dbt's selection options (shared by the dbt verbs and ``check``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from riftlab.commandline import project_options
from riftlab.console import node_line, summarize_build
from warehouse.project import Project
from warehouse.runner.build import NodeResult
from warehouse.runner.manifest import load_project_manifest

SELECT_HELP = (
    "dbt selection: name, +name, 2+name, name+1, @name, tag:T, path:P, config.materialized:view, source:S, "
    "resource_type:R, state:modified; space = union, comma = intersection (repeatable)."
)


class SpacedOption(click.Option):
    """An option that, like dbt's ``--select a b``, takes every word up to the next option as one value."""

    def add_to_parser(self, parser, ctx) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            original = option.process

            def process(value, state, original=original):
                words = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    words.append(state.rargs.pop(0))
                original(" ".join(words), state)

            option.process = process


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--select``/``-s``, ``--exclude`` and ``--state DIR``, as dbt takes them."""
    func = click.option(
        "--state",
        type=click.Path(file_okay=False, path_type=str),
        default=None,
        help="Folder with a saved manifest.json for state:modified / state:new.",
    )(func)
    func = click.option(
        "--exclude", "exclude", multiple=True, cls=SpacedOption, help="Same grammar as --select; removed last."
    )(func)
    return click.option("--select", "-s", "selectors", multiple=True, cls=SpacedOption, help=SELECT_HELP)(func)


def echo_result(index: int, total: int, result: NodeResult) -> None:
    """One dbt-style line per node: '3 of 12 OK   table  champions ....... 171 rows in 0.12s'."""
    head, label, tail, colour = node_line(index, total, result)
    click.echo(head + click.style(label, fg=colour) + tail)
    for line in (result.error or "").splitlines():
        click.echo(click.style(f"      {line}", fg=colour), err=result.status == "error")


@click.command("build")
@selection_options
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@project_options
def build(
    project: Project, selectors: tuple[str, ...], exclude: tuple[str, ...], state: str | None, full_refresh: bool
) -> None:
    """Build seeds, rule tables and SQL models, each atomically, in DAG order, running their data tests."""
    from warehouse.runner.build import build as run_build

    results = run_build(
        project, selectors, exclude=exclude, state=state, full_refresh=full_refresh, on_result=echo_result
    )
    click.echo(summarize_build(results))
    if any(r.failed for r in results):
        raise SystemExit(1)


@click.command("ls")
@selection_options
@click.option(
    "--resource-type",
    "resource_types",
    multiple=True,
    type=click.Choice(["model", "seed", "rules", "test", "source"]),
    help="Only these kinds (repeatable).",
)
@project_options
def ls(
    project: Project,
    selectors: tuple[str, ...],
    exclude: tuple[str, ...],
    state: str | None,
    resource_types: tuple[str, ...],
) -> None:
    """List models, seeds, rule tables and data tests in DAG order with materialization and upstreams."""
    from warehouse.runner.selectors import load_state

    manifest = load_project_manifest(project)
    previous = load_state(state) if state is not None else None
    chosen = manifest.selected_ids(selectors, exclude, previous) if (selectors or exclude or previous) else None
    rows = []
    for name in manifest.order:
        node = manifest.nodes[name]
        if chosen is not None and node.unique_id not in chosen:
            continue
        if resource_types and node.kind not in resource_types:
            continue
        kind = node.materialized if node.kind == "model" else node.kind
        upstream = ", ".join(node.refs + [f"{s}.{t}" for s, t in node.sources]) or "-"
        rows.append((name, kind, upstream))
    if "source" in resource_types or (chosen and any(uid.startswith("source.") for uid in chosen)):
        from warehouse.runner.selectors import Source

        for uid, item in manifest.graph().items.items():
            if isinstance(item, Source) and (chosen is None or uid in chosen):
                if not resource_types or "source" in resource_types:
                    rows.append((item.name, "source", "-"))
    if not resource_types or "test" in resource_types:
        for name in manifest.test_order():
            test = manifest.tests[name]
            if chosen is None or test.unique_id in chosen:
                rows.append((name, "test", ", ".join(test.depends_on)))
    if not rows:
        raise click.ClickException("the selection matches nothing")
    width = max(len(r[0]) for r in rows)
    kind_width = max(len(r[1]) for r in rows)
    click.echo(f"{'name':<{width}}  {'kind':<{kind_width}}  upstream")
    for name, kind, upstream in rows:
        click.echo(f"{name:<{width}}  {kind:<{kind_width}}  {upstream}")
