"""``python -m crawlers crawl|schedule|import-landing ...``: the crawl commands without the rest of riftlab's CLI.

The scheduler and tests start crawls this way, one process per crawl (a
Twisted reactor starts once per process).  Commands are imported only once
click runs, so a Ctrl-C during start-up is one line, not an import traceback.
"""

from __future__ import annotations

import click

from warehouse.commandline import LazyGroup, run_command

COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawlers.commands:crawl", "Crawl sources into raw.*."),
    "schedule": ("crawlers.commands:schedule", "Run crawls on their cron schedules."),
    "import-landing": ("crawlers.commands:import_landing", "Load Parquet landing files into raw.*."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
def group() -> None:
    """riftlab's crawl commands."""


def main(argv: list[str] | None = None) -> None:
    """Like ``riftlab``'s entry point: user errors print one line and exit non-zero."""
    run_command(group, argv, "python -m crawlers")


if __name__ == "__main__":
    main()
