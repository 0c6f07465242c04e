"""``riftlab config``: the configuration in force (defaults merged with riftlab.yaml), as YAML.

``riftlab config --schema`` prints the JSON Schema of riftlab.yaml instead (for
editors), without needing a project.
"""

from __future__ import annotations

import json

import click
import yaml

from riftlab.commandline import project_options
from warehouse.project import Project


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _print_schema(ctx: click.Context, _param: click.Parameter, wanted: bool) -> None:
    if not wanted or ctx.resilient_parsing:
        return
    from warehouse.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
    ctx.exit()


@click.command("config")
@click.argument("section", required=False)
@click.option(
    "--schema",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_print_schema,
    help="Print the JSON Schema of riftlab.yaml (for editors) and exit.",
)
@project_options
def config(project: Project, section: str | None) -> None:
    """Print the configuration in force (every default, with riftlab.yaml merged over it)."""
    merged = _plain(project.config)
    if section is not None:
        if section not in merged:
            raise click.BadParameter(f"no section '{section}'; sections: {', '.join(merged)}")
        merged = {section: merged[section]}
    click.echo(f"# project: {project.root}\n# warehouse: {project.db_path}")
    click.echo(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=100).rstrip())
