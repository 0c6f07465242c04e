"""Building blocks for riftlab's click commands.

* :class:`LazyGroup` imports a command's module only when that command runs, so
  ``riftlab --help``, ``ls`` and ``query`` never import torch, transformers or scrapy.
* :func:`project_options` gives every command ``--project-dir`` and ``--db`` and
  hands it a loaded :class:`~warehouse.project.Project`.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Any

import click

from warehouse.errors import RiftlabError


class LazyGroup(click.Group):
    """A click group whose subcommands are ``"module:attribute"`` strings imported on use."""

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # name -> (import path, one-line help shown by --help without importing)
        self.lazy_commands = lazy_commands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands:
            target = self.lazy_commands[name][0]
            module_name, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{target} is not a click command")
            return command
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their short help without importing them."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands:
                rows.append((name, self.lazy_commands[name][1]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--project-dir``/``--db`` and pass ``project`` (a loaded Project) to ``func``.

    The options may also be given before the command (``riftlab --db x.duckdb build``);
    the ones given after it win.
    """

    @click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=str),
        default=None,
        help="Folder with riftlab.yaml and transforms/ (default: current folder).",
    )
    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=str),
        default=None,
        envvar="RIFTLAB_DB",
        help="Warehouse file (default: warehouse.path in riftlab.yaml; env RIFTLAB_DB).",
    )
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, *args: Any, project_dir: str | None, db_path: str | None, **kwargs: Any) -> Any:
        from warehouse.project import Project

        parent = ctx.find_root().obj or {}
        project = Project.load(project_dir or parent.get("project_dir"), db_path or parent.get("db_path"))
        return func(*args, project=project, **kwargs)

    return wrapper


def run_command(command: click.Command, argv: list[str] | None, prog_name: str) -> None:
    """Run a click command as a program: user errors print one line and exit non-zero, never a traceback."""
    try:
        command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except RiftlabError as exc:
        click.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
