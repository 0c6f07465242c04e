"""Run crawls in-process: Scrapy settings from riftlab.yaml, several crawls in one reactor.

Twisted's reactor starts once per process, so :func:`run_crawls` runs every crawl one after another
in one :class:`~scrapy.crawler.CrawlerProcess` (one DuckDB writer at a time); independent runs need
a process each (``python -m riftlab crawl ...``).  SIGINT and SIGTERM are handled here
(:class:`Interruption`): Scrapy installs its handlers only once the reactor runs, so a signal
during start-up was swallowed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawlers.sinks import LIVE
from warehouse.errors import ConfigError, RiftlabError

SPIDERS: dict[str, str] = {
    "meraki": "crawlers.spiders.meraki:MerakiSpider",
    "ddragon": "crawlers.spiders.ddragon:DataDragonSpider",
    "wiki": "crawlers.spiders.wiki:WikiSpider",
    "coaching": "crawlers.spiders.coaching:CoachingSpider",
    "forum": "crawlers.spiders.forum:ForumSpider",
}

PIPELINES = {
    "landing": {"crawlers.pipelines.LandingPipeline": 300},
    "discard": {"crawlers.pipelines.DiscardPipeline": 300},
}

#: Priority of one crawl's own settings: above "cmdline" (40), which the process's settings use and
#: which CrawlerProcess.crawl() merges into each crawler again.
PER_CRAWL = 50

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

#: seconds between tries to stop a crawl whose engine is still starting
STOP_RETRY = 0.1


@dataclass
class CrawlSpec:
    """One crawl to run: a spider, its start URLs and its source options."""

    spider: str
    start_urls: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    pipeline: str = "landing"
    #: Scrapy settings for this crawl only (over the process-wide ones).
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class CrawlResult:
    spider: str
    crawl_run_id: str | None
    status: str
    items: int
    landed: int
    errors: int
    pages: int
    seconds: float
    #: why the crawl could not land (everything, or from some point on)
    error: RiftlabError | None = None
    #: why a crawl that ran to its end landed nothing, and what to do (robots.txt, blocked, empty): one line
    nothing: str | None = None

    def line(self) -> str:
        return (
            f"{self.spider}: {self.status}, {self.pages} pages, {self.items} items, "
            f"{self.landed} landed, {self.errors} errors ({self.seconds:.1f}s)"
        )


class CrawlsInterrupted(RiftlabError):
    """SIGINT or SIGTERM stopped the crawls; ``results`` holds the crawls that ran."""

    def __init__(self, signum: int, results: list[CrawlResult]):
        super().__init__(
            f"interrupted ({signal.Signals(signum).name}): crawling stopped and the remaining crawls "
            "were skipped; rows already yielded are landed"
        )
        self.exit_code = 128 + signum  # as shells report a process ended by the signal
        self.results = results


def spider_class(name: str):
    if name not in SPIDERS:
        raise RiftlabError(f"unknown spider {name!r}; spiders: {', '.join(SPIDERS)}")
    module_name, _, attribute = SPIDERS[name].partition(":")
    import importlib

    return getattr(importlib.import_module(module_name), attribute)


def is_local(urls: list[str]) -> bool:
    """All URLs on loopback or file://: politeness delays protect other people's servers, not ours."""
    return bool(urls) and all(urlsplit(u).scheme == "file" or (urlsplit(u).hostname or "") in LOCAL_HOSTS for u in urls)


def spec_for(project, spider: str, urls: list[str] | None = None, offline: bool = False) -> CrawlSpec:
    """The crawl of ``spider`` with start URLs from ``--url`` or ``sources.<spider>.start_urls``.

    ``offline`` (the bundled fixture sites) tells the spider so: no credentials of the real site are used.
    """
    check = getattr(spider_class(spider), "check_environment", None)
    if check is not None and not offline:
        check()  # (credentials half set: refused before any crawl starts)
    options = dict(project.config["sources"].get(spider) or {})
    if offline:
        options["offline"] = True
    start_urls = list(urls or options.pop("start_urls", []) or [])
    options.pop("start_urls", None)
    if not start_urls:
        raise ConfigError(f"sources.{spider}.start_urls is empty in riftlab.yaml: set it or pass --url URL")
    for url in start_urls:
        if urlsplit(url).scheme not in ("http", "https", "file"):
            raise ConfigError(f"start URL {url!r} of {spider}: use http://, https:// or file://")
    return CrawlSpec(spider=spider, start_urls=start_urls, options=options)


def scrapy_settings(
    project, specs: list[CrawlSpec], sink: str | None = None, extra: dict[str, Any] | None = None, origin: str = LIVE
):
    """Scrapy ``Settings`` for ``project``: crawlers/settings.py, then riftlab.yaml's ``crawl`` section.

    ``origin`` (``fixture`` for the bundled fixture sites, else ``live``) is recorded on every crawl run.
    """
    from scrapy.settings import Settings

    crawl = project.config["crawl"]
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    local = all(is_local(spec.start_urls) for spec in specs)
    values: dict[str, Any] = {
        "USER_AGENT": crawl["user_agent"],
        "ROBOTSTXT_OBEY": crawl["obey_robots_txt"],
        "AUTOTHROTTLE_ENABLED": crawl["autothrottle"] and not local,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl["autothrottle_target_concurrency"],
        "DOWNLOAD_DELAY": 0 if local else crawl["download_delay"],
        "CONCURRENT_REQUESTS": crawl["concurrent_requests"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl["concurrent_requests"]
        if local
        else crawl["concurrent_requests_per_domain"],
        "DOWNLOAD_TIMEOUT": crawl["download_timeout"],
        "RETRY_TIMES": crawl["retry_times"],
        "REDIRECT_MAX_TIMES": crawl["redirect_max_times"],
        "HTTPCACHE_ENABLED": crawl["http_cache"],
        "HTTPCACHE_DIR": str(project.root / crawl["http_cache_dir"]),
        "LOG_LEVEL": crawl["log_level"],
        "RIFTLAB_SINK": sink or crawl["sink"],
        "RIFTLAB_DB_PATH": str(project.db_path),
        "RIFTLAB_PARQUET_DIR": str(project.root / crawl["parquet_dir"]),
        "RIFTLAB_BATCH_ROWS": project.config["warehouse"]["batch_rows"],
        "RIFTLAB_MAX_PAGE_BYTES": crawl["max_page_bytes"],
        "RIFTLAB_ORIGIN": origin,
    }
    if local:
        values["RETRY_TIMES"] = min(crawl["retry_times"], 1)
    settings.setdict(values, priority="cmdline")
    if extra:
        settings.setdict(extra, priority="cmdline")
    return settings


class Interruption:
    """SIGINT/SIGTERM while crawls run: the first stops them cleanly, a second exits at once.

    A clean stop closes the running crawl (its run row ends ``interrupted``, everything it
    yielded landed) and starts no other.  Signals are taken from the start, before the reactor
    exists: a signal then only marks the crawls as interrupted, and none starts.  A second
    signal does not wait for anything: committed batches are safe in DuckDB's write-ahead log,
    and the next crawl closes the run row left ``running`` as abandoned.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, process):
        self.process = process
        #: the first signal received
        self.signum: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> Interruption:
        self.previous = {signum: signal.signal(signum, self.on_signal) for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def on_signal(self, signum, frame) -> None:
        """Signal handler: the first asks the reactor (if there is one yet) to stop the crawls."""
        if self.requested:
            os.write(2, b"Interrupted again: stopped at once.\n")
            os._exit(128 + signum)
        self.signum = signum
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None:
            reactor.callFromThread(self.stop_crawls)

    def stop_crawls(self) -> None:
        """Close every running crawl; one whose engine is still starting is tried again shortly."""
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        for crawler in list(self.process.crawlers):
            if not crawler.crawling:
                continue
            if crawler.engine.running:
                deferred_from_coro(crawler.stop_async())
            else:
                reactor.callLater(STOP_RETRY, self.stop_crawls)


def _stop_reactor(_: Any = None) -> None:
    from twisted.internet import reactor

    if reactor.running:
        reactor.stop()


def _result(spec: CrawlSpec, crawler, seconds: float) -> CrawlResult:
    """What one finished crawl did, from its stats (and its landing pipeline's error, if any)."""
    from crawlers.pipelines import STAT_NOTHING, LandingPipeline

    stats = crawler.stats
    pipeline = crawler.get_item_pipeline(LandingPipeline)
    return CrawlResult(
        spider=spec.spider,
        crawl_run_id=stats.get_value("riftlab/crawl_run_id"),
        status=stats.get_value("riftlab/status") or stats.get_value("finish_reason") or "unknown",
        items=stats.get_value("riftlab/items", 0) or stats.get_value("item_scraped_count", 0),
        landed=stats.get_value("riftlab/landed", 0),
        errors=stats.get_value("riftlab/errors", 0),
        pages=stats.get_value("response_received_count", 0),
        seconds=seconds,
        error=pipeline.error if pipeline is not None else None,
        nothing=stats.get_value(STAT_NOTHING),
    )


def run_crawls(
    project,
    specs: list[CrawlSpec],
    sink: str | None = None,
    extra: dict[str, Any] | None = None,
    install_signal_handlers: bool = True,
    origin: str = LIVE,
) -> list[CrawlResult]:
    """Run ``specs`` one after another in this process; return one result per crawl that started.

    The crawls stop at the first that cannot land (its result carries the error); a SIGINT or
    SIGTERM stops them and raises :class:`CrawlsInterrupted`.
    """
    import contextlib
    import time

    from scrapy.crawler import CrawlerProcess
    from twisted.internet import defer

    from crawlers.pipelines import LANDING_FAILED

    settings = scrapy_settings(project, specs, sink=sink, extra=extra, origin=origin)
    process = CrawlerProcess(settings)
    interruption = Interruption(process)
    results: list[CrawlResult] = []
    jobdir = project.config["crawl"]["jobdir"]

    @defer.inlineCallbacks
    def crawl_all():
        for spec in specs:
            if interruption.requested:
                break
            crawler = process.create_crawler(spider_class(spec.spider))
            crawler.settings.set("ITEM_PIPELINES", PIPELINES[spec.pipeline], priority=PER_CRAWL)
            job = project.root / jobdir / spec.spider if jobdir else None
            if job:
                crawler.settings.set("JOBDIR", str(job), priority=PER_CRAWL)
            crawler.settings.setdict(spec.settings, priority=PER_CRAWL)
            started = time.perf_counter()
            yield process.crawl(crawler, start_urls=spec.start_urls, options=spec.options)
            result = _result(spec, crawler, time.perf_counter() - started)
            results.append(result)
            if job and crawler.stats.get_value("finish_reason") in ("finished", LANDING_FAILED):
                # done, or items were lost: the next crawl must start afresh, not skip every request as already seen
                shutil.rmtree(job, ignore_errors=True)
            if result.error is not None or crawler.stats.get_value("finish_reason") == "shutdown":
                break  # cannot land, or interrupted: start no other crawl (with a JOBDIR, the next run resumes)

    outcome: list[Any] = []
    with interruption if install_signal_handlers else contextlib.nullcontext():
        d = crawl_all()
        d.addErrback(outcome.append)
        d.addBoth(_stop_reactor)
        if not d.called:  # (interrupted before the first crawl: no reactor to run)
            process.start(stop_after_crawl=False, install_signal_handlers=False)
    if outcome:
        outcome[0].raiseException()
    if interruption.requested:
        raise CrawlsInterrupted(interruption.signum, results)
    return results


def summarize(results: list[CrawlResult]) -> str:
    """One line over every crawl that ran: pages, items, rows landed, errors and statuses."""
    items = sum(r.items for r in results)
    landed = sum(r.landed for r in results)
    errors = sum(r.errors for r in results)
    statuses = sorted({r.status for r in results})
    names = ", ".join(r.spider for r in results) or "nothing"
    return (
        f"crawled {names}: {sum(r.pages for r in results)} pages, {items} items, {landed} rows landed, "
        f"{errors} errors ({'/'.join(statuses) or 'no run'})"
    )


def crawl_sources(
    project,
    names: list[str],
    urls: list[str] | None = None,
    offline: bool = False,
    sink: str | None = None,
    extra: dict | None = None,
) -> list[CrawlResult]:
    """Crawl ``names`` from their sources (or ``urls``), or, ``offline``, from the bundled fixture sites.

    ``extra``: Scrapy settings over riftlab.yaml's (``-s KEY=VALUE``). Offline crawls land as fixture
    data, never mixed with live rows.
    """
    extra = dict(extra or {})
    if not offline:
        return run_crawls(project, [spec_for(project, n, urls or None) for n in names], sink=sink, extra=extra)
    from crawlers.fixtures import OFFLINE_BASE, OFFLINE_START, SITES
    from crawlers.fixtures.server import FixtureServer
    from crawlers.sinks import FIXTURE

    with FixtureServer(SITES) as server:
        specs = [spec_for(project, n, [server.url + p for p in OFFLINE_START[n]], offline=True) for n in names]
        aliases = {"RIFTLAB_URL_ALIASES": {server.url: OFFLINE_BASE}}
        return run_crawls(project, specs, sink=sink, origin=FIXTURE, extra={**aliases, **extra})
