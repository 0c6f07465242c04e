"""``python -m crawlers crawl|schedule ...``: the crawl commands without the rest of riftlab's CLI.

The scheduler and tests start crawls this way, one process per crawl (a
Twisted reactor starts once per process).
"""

from __future__ import annotations

import click

from crawlers.commands import crawl, import_landing, schedule
from warehouse.commandline import run_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def group() -> None:
    """riftlab's crawl commands."""


group.add_command(crawl)
group.add_command(schedule)
group.add_command(import_landing)


def main(argv: list[str] | None = None) -> None:
    """Like ``riftlab``'s entry point: user errors print one line and exit non-zero."""
    run_command(group, argv, "python -m crawlers")


if __name__ == "__main__":
    main()
