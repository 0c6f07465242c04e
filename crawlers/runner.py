"""Run crawls in-process: Scrapy settings from riftlab.yaml, several crawls in one reactor.

Twisted's reactor starts once per process, so :func:`run_crawls` takes every
crawl up front and runs them one after another inside a single
:class:`~scrapy.crawler.CrawlerProcess` (sequentially: one DuckDB writer at a
time, and a SIGINT stops the current crawl and skips the rest).  Callers that
need several independent runs (tests, the scheduler) start a process per run
(``python -m crawlers crawl ...``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

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

    def line(self) -> str:
        return (f"{self.spider}: {self.status}, {self.pages} pages, {self.items} items, "
                f"{self.landed} landed, {self.errors} errors ({self.seconds:.1f}s)")


def spider_class(name: str):
    if name not in SPIDERS:
        raise RiftlabError(f"unknown spider {name!r}; spiders: {', '.join(SPIDERS)}")
    module_name, _, attribute = SPIDERS[name].partition(":")
    import importlib

    return getattr(importlib.import_module(module_name), attribute)


def is_local(urls: list[str]) -> bool:
    """All URLs on loopback or file://: politeness delays protect other people's servers, not ours."""
    return bool(urls) and all(
        urlsplit(u).scheme == "file" or (urlsplit(u).hostname or "") in LOCAL_HOSTS for u in urls
    )


def spec_for(project, spider: str, urls: list[str] | None = None) -> CrawlSpec:
    """The crawl of ``spider`` with start URLs from ``--url`` or ``sources.<spider>.start_urls``."""
    spider_class(spider)
    options = dict(project.config["sources"].get(spider) or {})
    start_urls = list(urls or options.pop("start_urls", []) or [])
    options.pop("start_urls", None)
    if not start_urls:
        raise ConfigError(f"sources.{spider}.start_urls is empty in riftlab.yaml: set it or pass --url URL")
    for url in start_urls:
        if urlsplit(url).scheme not in ("http", "https", "file"):
            raise ConfigError(f"start URL {url!r} of {spider}: use http://, https:// or file://")
    return CrawlSpec(spider=spider, start_urls=start_urls, options=options)


def scrapy_settings(project, specs: list[CrawlSpec], sink: str | None = None, extra: dict[str, Any] | None = None):
    """Scrapy ``Settings`` for ``project``: crawlers/settings.py, then riftlab.yaml's ``crawl`` section."""
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
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl["concurrent_requests"] if local else crawl["concurrent_requests_per_domain"],
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
    }
    if local:
        values["RETRY_TIMES"] = min(crawl["retry_times"], 1)
    settings.setdict(values, priority="cmdline")
    if extra:
        settings.setdict(extra, priority="cmdline")
    return settings


def run_crawls(project, specs: list[CrawlSpec], sink: str | None = None, extra: dict[str, Any] | None = None,
               install_signal_handlers: bool = True) -> list[CrawlResult]:
    """Run ``specs`` one after another in this process; return one result per crawl that started."""
    import time

    from scrapy.crawler import CrawlerProcess
    from twisted.internet import defer

    settings = scrapy_settings(project, specs, sink=sink, extra=extra)
    process = CrawlerProcess(settings)
    results: list[CrawlResult] = []
    jobdir = project.config["crawl"]["jobdir"]

    @defer.inlineCallbacks
    def crawl_all():
        for spec in specs:
            crawler = process.create_crawler(spider_class(spec.spider))
            crawler.settings.set("ITEM_PIPELINES", PIPELINES[spec.pipeline], priority=PER_CRAWL)
            job = project.root / jobdir / spec.spider if jobdir else None
            if job:
                crawler.settings.set("JOBDIR", str(job), priority=PER_CRAWL)
            crawler.settings.setdict(spec.settings, priority=PER_CRAWL)
            started = time.perf_counter()
            yield process.crawl(crawler, start_urls=spec.start_urls, options=spec.options)
            stats = crawler.stats
            results.append(CrawlResult(
                spider=spec.spider,
                crawl_run_id=stats.get_value("riftlab/crawl_run_id"),
                status=stats.get_value("riftlab/status") or stats.get_value("finish_reason") or "unknown",
                items=stats.get_value("riftlab/items", 0) or stats.get_value("item_scraped_count", 0),
                landed=stats.get_value("riftlab/landed", 0),
                errors=stats.get_value("riftlab/errors", 0),
                pages=stats.get_value("response_received_count", 0),
                seconds=time.perf_counter() - started,
            ))
            if job and stats.get_value("finish_reason") == "finished":
                # done: the next (scheduled) crawl must start afresh, not skip every request as already seen
                shutil.rmtree(job, ignore_errors=True)
            if stats.get_value("finish_reason") == "shutdown":
                break  # interrupted: do not start the next crawl; with a JOBDIR, the next run resumes it

    def stop(result):
        from twisted.internet import reactor

        if reactor.running:
            reactor.stop()
        return result

    outcome: list[Any] = []
    d = crawl_all()
    d.addErrback(outcome.append)
    d.addBoth(stop)
    process.start(stop_after_crawl=False, install_signal_handlers=install_signal_handlers)
    if outcome:
        outcome[0].raiseException()
    return results
