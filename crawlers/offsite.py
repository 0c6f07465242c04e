"""Spiders stay on the sites of their start URLs: a link or redirect to any other host:port is skipped.

A page is untrusted input: a link or redirect may point anywhere, other services on this machine
included.  Scrapy's ``allowed_domains`` compares host names only, so here a site is host *and* port
(``file://`` URLs form one site).  Skips are policy, not failures: counted in
``riftlab/offsite_skipped`` and logged once per site, never ``raw.crawl_errors`` rows.
"""

from __future__ import annotations

import logging
from functools import cached_property
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

STAT_SKIPPED = "riftlab/offsite_skipped"
DEFAULT_PORTS = {"http": 80, "https": 443}


class OffsiteRequest(IgnoreRequest):
    """A request for a site that none of the spider's start URLs is on."""


def site_of(url: str) -> tuple[str, int | None]:
    """(host, port) of ``url``, the default port of its scheme written as None (``http://a`` is ``http://a:80``)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is no number: a site of its own, matching no start URL
        return parts.netloc.lower(), -1
    return (parts.hostname or ""), (None if port == DEFAULT_PORTS.get(parts.scheme) else port)


class StartSitesMiddleware:
    """Downloader middleware: drop every request whose host:port is not that of a start URL.

    Checked when a request is scheduled (links a callback yields, redirects),
    so a skipped request never reaches the spider's errback, and again before
    a download, for requests that bypass the scheduler.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.logged: set[tuple[str, int | None]] = set()
        crawler.signals.connect(self.process_request, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @cached_property
    def allowed(self) -> frozenset[tuple[str, int | None]]:
        return frozenset(site_of(url) for url in self.crawler.spider.start_urls)

    def process_request(self, request: Request) -> None:
        site = site_of(request.url)
        if site in self.allowed:
            return
        self.crawler.stats.inc_value(STAT_SKIPPED)
        if site not in self.logged:
            self.logged.add(site)
            logger.warning(
                "skipping off-site request %s: %s only crawls %s",
                request.url,
                self.crawler.spider.name,
                ", ".join(sorted({urlsplit(u).netloc or "file://" for u in self.crawler.spider.start_urls})),
            )
        raise OffsiteRequest(f"off-site request to {urlsplit(request.url).netloc or request.url}")
