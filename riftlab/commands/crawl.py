"""``riftlab crawl`` and ``riftlab schedule``.

``crawl`` runs Scrapy in this process (one reactor, crawls one after another);
``schedule`` and ``riftlab run`` start a fresh process per crawl (a reactor
cannot start twice in one process) and read its results back as JSON.

``crawl`` exits 0 when every crawl finished cleanly, 1 when pages failed, a crawl could not land
or a crawl landed nothing (robots.txt refused it, the site blocked it, it found nothing: one line
on stderr says which and what to do), 130 when interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from crawlers.runner import summarize
from riftlab.commandline import project_options
from warehouse.errors import RiftlabError
from warehouse.project import Project


@click.command("crawl")
@click.argument("spiders", nargs=-1)
@click.option("--url", "urls", multiple=True, help="Start URL (repeatable); overrides sources.<spider>.start_urls.")
@click.option("--all", "all_spiders", is_flag=True, help="Crawl every source.")
@click.option(
    "--offline",
    is_flag=True,
    help="Crawl the bundled fixture sites, served on 127.0.0.1: fixture data, refused by a warehouse of live data.",
)
@click.option(
    "--sink",
    type=click.Choice(["duckdb", "parquet"]),
    default=None,
    help="Land in the warehouse (duckdb) or as Parquet files under crawl.parquet_dir.",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Scrapy setting over riftlab.yaml's (repeatable), as scrapy crawl -s: -s DOWNLOAD_DELAY=2.",
)
@click.option(
    "-a",
    "--arg",
    "arguments",
    multiple=True,
    metavar="NAME=VALUE",
    help="A spider argument (repeatable), as scrapy crawl -a: an option of sources.<spider> (-a max_pages=2) "
    "or start_urls=URL1,URL2.",
)
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    hidden=True,
    help="Also write the results as JSON here (riftlab run and the scheduler read it).",
)
@project_options
def crawl(
    project: Project,
    spiders: tuple[str, ...],
    urls: tuple[str, ...],
    all_spiders: bool,
    offline: bool,
    sink: str | None,
    settings: tuple[str, ...],
    arguments: tuple[str, ...],
    results_file: Path | None,
) -> None:
    """Crawl SPIDER(s) into raw.* (meraki, ddragon, wiki, coaching, forum).

    Exits 1 if a page failed, 130 if interrupted.
    """
    from crawlers.runner import SPIDERS, CrawlsInterrupted

    names = list(SPIDERS) if all_spiders else list(dict.fromkeys(spiders))
    if not names:
        raise click.UsageError(f"name a spider ({', '.join(SPIDERS)}) or pass --all")
    unknown = [n for n in names if n not in SPIDERS]
    if unknown:
        raise click.BadParameter(
            f"unknown spider(s) {', '.join(unknown)}; spiders: {', '.join(SPIDERS)}", param_hint="SPIDER"
        )
    if urls and len(names) > 1:
        raise click.UsageError("--url applies to one spider; name exactly one")
    if offline and urls:
        raise click.UsageError("--offline and --url exclude each other")
    scrapy_settings, spider_arguments = _pairs(settings, "-s", "KEY"), _pairs(arguments, "-a", "NAME")
    if spider_arguments and len(names) > 1:
        raise click.UsageError("-a applies to one spider; name exactly one")
    if "start_urls" in spider_arguments and (urls or offline):
        raise click.UsageError("-a start_urls=, --url and --offline exclude each other")
    if spider_arguments:  # over sources.<spider> for this run, checked like riftlab.yaml
        from crawlers.settings_schema import source_options

        name = names[0]
        project.config["sources"][name] = source_options(name, project.config["sources"][name], spider_arguments)

    results: list = []
    failure: Exception | None = None
    try:
        results = _crawl(project, names, list(urls), offline, sink, scrapy_settings)
    except CrawlsInterrupted as stopped:
        results, failure = stopped.results, stopped
        _print_results(stopped.results)
        raise
    except RiftlabError as exc:
        failure = exc
        raise
    finally:
        if results_file is not None:
            write_results(
                results_file,
                results,
                failure or next((r.error or r.nothing for r in results if r.error or r.nothing), None),
            )
    _report(results, len(names))


def _pairs(values: tuple[str, ...], option: str, key: str) -> dict[str, str]:
    """``KEY=VALUE`` texts as a mapping (a later one wins), as scrapy's -s and -a take them."""
    pairs: dict[str, str] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{value!r} is not {key}=VALUE", param_hint=option)
        pairs[name.strip()] = text
    return pairs


def _crawl(project, names: list[str], urls: list[str], offline: bool, sink: str | None, settings: dict[str, str]):
    """:func:`crawlers.runner.crawl_sources`, with Scrapy settings (``-s``) over riftlab.yaml's."""
    from crawlers.runner import crawl_sources

    return crawl_sources(project, names, urls, offline, sink, extra=settings)


def write_results(path: Path, results: list, error: Exception | None) -> None:
    """The crawls as JSON for the process that started this one (``riftlab.stages.crawl.crawl_in_child``)."""
    rows = [{k: v for k, v in dataclasses.asdict(r).items() if k != "error"} for r in results]
    path.write_text(json.dumps({"results": rows, "error": str(error) if error else None}), encoding="utf-8")


def _print_results(results) -> None:
    """One line per crawl that ran, then the summary (nothing when a crawl was refused before any ran)."""
    ran = [r for r in results if r.crawl_run_id]
    for result in ran:
        click.echo(f"  {result.line()}  [{result.crawl_run_id}]")
    if ran or all(r.error is None for r in results):
        click.echo(summarize(ran))


def _report(results, crawls: int) -> None:
    """Print the results; raise the error of a crawl that could not land, exit 1 unless every crawl finished cleanly."""
    _print_results(results)
    error = next((r.error for r in results if r.error is not None), None)
    if error is not None:
        raise error
    for result in results:
        if result.nothing:  # got nothing: one line each, saying which and what to do
            click.echo(result.nothing, err=True)
    if any(r.errors for r in results) or any(r.status != "finished" for r in results) or len(results) < crawls:
        sys.exit(1)


@click.command("schedule")
@click.option("--once", is_flag=True, help="Run the crawls that are due now, then exit (for cron/systemd timers).")
@click.option("--no-after", is_flag=True, help="Do not run build/check after each crawl.")
@project_options
def schedule(project: Project, once: bool, no_after: bool) -> None:
    """Run crawls on the cron expressions of `schedules` (never two at once), each followed by build and check."""
    from riftlab.schedule import Scheduler

    scheduler = Scheduler(project, after=not no_after, echo=click.echo)
    if once:
        outcomes = scheduler.run_once()
        if not outcomes:
            click.echo("schedule: nothing due")
        failed = [o for o in outcomes if not o.ok]
        click.echo(
            f"schedule: {len(outcomes)} crawl(s) run, {len(failed)} with errors"
            + (f" ({', '.join(o.spider for o in failed)})" if failed else "")
        )
        if failed:
            sys.exit(1)
    else:
        scheduler.run_forever()


@click.command("import-landing")
@click.argument("folder", required=False, type=click.Path(file_okay=False, exists=True))
@project_options
def import_landing(project: Project, folder: str | None) -> None:
    """Fold Parquet landing files (crawl --sink parquet, scrapy-redis workers) into raw.*.

    Runs already imported are skipped.
    """
    from crawlers.sinks import import_parquet

    source = Path(folder) if folder else project.root / project.config["crawl"]["parquet_dir"]
    con = project.connect()
    try:
        counts = import_parquet(con, source, target=f"the warehouse {project.db_path}")
    finally:
        con.close()
    click.echo(
        f"imported from {source}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
        if counts
        else f"imported from {source}: no crawl runs found"
    )
