"""Bad input becomes a ``raw.crawl_errors`` row, and the crawl goes on.

Two doors lead here, so spiders need no try/except of their own: :class:`CrawlFailureMiddleware`
catches whatever a callback raises (:class:`BadInput` for malformed, truncated or incomplete pages,
and anything unexpected); :func:`errback`, set on every request, receives download failures (HTTP
4xx/5xx, redirect loops, refused connections, missing ``file://`` paths).  Both call
:func:`record_failure`, which counts the error and sends the :data:`crawl_error` signal that the
landing pipeline writes beside the documents.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from warehouse.db import utcnow
from warehouse.errors import RiftlabError

logger = logging.getLogger(__name__)

#: Signal sent once per failure: ``(spider, url, reason, excerpt, occurred_at)``.
crawl_error = object()

EXCERPT_CHARS = 300
STAT_ERRORS = "riftlab/errors"
#: requests the site refused as such: HTTP 401/403/429, or a block page in place of the content
STAT_BLOCKED = "riftlab/blocked"
#: why an API's token endpoint refused the crawl's credentials (a spider sets it)
STAT_AUTH_REFUSED = "riftlab/auth_refused"
#: Scrapy's count of requests robots.txt forbade
STAT_ROBOTS = "robotstxt/forbidden"
#: HTTP statuses with which a site refuses a client, not a page
BLOCKING_STATUSES = (401, 403, 429)


class BadInput(RiftlabError):
    """A page the spider understood too little of to land (say what was wrong, keep a piece of it)."""

    def __init__(self, reason: str, excerpt: str | bytes | None = None):
        super().__init__(reason)
        self.reason = reason
        self.excerpt = excerpt


class Blocked(BadInput):
    """The site answered a block page (an HTML "you are blocked" page) in place of the content asked for."""


def excerpt_of(data: str | bytes | None) -> str | None:
    """The first characters of a body, readable whatever its encoding."""
    if data is None:
        return None
    if isinstance(data, bytes):
        data = data[: EXCERPT_CHARS * 4].decode("utf-8", errors="backslashreplace")
    return data[:EXCERPT_CHARS]


def record_failure(crawler, spider, url: str | None, reason: str, excerpt: str | bytes | None = None) -> None:
    """Count one failure and hand it to whoever lands errors (the pipeline)."""
    crawler.stats.inc_value(STAT_ERRORS)
    logger.warning("crawl error %s: %s", url, reason)
    crawler.signals.send_catch_log(
        crawl_error,
        spider=spider,
        url=url,
        reason=reason[:1000],
        excerpt=excerpt_of(excerpt),
        occurred_at=utcnow(),
    )


def describe(failure: Failure) -> tuple[str, str | bytes | None]:
    """(reason, excerpt) for a download-side failure."""
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        return f"HTTP {response.status}", response.body
    if isinstance(exc, IgnoreRequest):
        if "max redirections" in str(exc):
            chain = (
                " -> ".join(failure.request.meta.get("redirect_urls", [])) if getattr(failure, "request", None) else ""
            )
            return f"redirect loop (max redirections reached): {chain}".rstrip(": "), None
        return f"request dropped: {exc}", None
    if isinstance(exc, BadInput):
        return exc.reason, exc.excerpt
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name, None


def errback(spider, failure: Failure) -> None:
    """Errback for every request: the download failed, record it and move on."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else None
    reason, excerpt = describe(failure)
    if reason.startswith("request dropped: Forbidden by robots.txt"):
        spider.crawler.stats.inc_value("riftlab/robots_forbidden")
        return
    if isinstance(failure.value, HttpError) and failure.value.response.status in BLOCKING_STATUSES:
        spider.crawler.stats.inc_value(STAT_BLOCKED)
    record_failure(spider.crawler, spider, url, reason, excerpt)


class CrawlFailureMiddleware:
    """Spider middleware: an exception in a callback becomes a crawl error, not a dead crawl."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.on_request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def on_request_dropped(self, request, spider=None) -> None:
        """A redirect back into its own chain is dropped by the dupefilter: that is a redirect loop.

        (A redirect to a page already fetched by another path is only a duplicate, not an error.)
        """
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            path = " -> ".join([*chain, request.url])
            record_failure(self.crawler, self.crawler.spider, chain[0], f"redirect loop: {path}")

    def process_spider_exception(self, response, exception: BaseException, spider=None) -> list[Any]:
        spider = spider or self.crawler.spider
        if isinstance(exception, HttpError):
            reason, excerpt = f"HTTP {exception.response.status}", exception.response.body
            if exception.response.status in BLOCKING_STATUSES:
                self.crawler.stats.inc_value(STAT_BLOCKED)
        elif isinstance(exception, BadInput):
            if isinstance(exception, Blocked):
                self.crawler.stats.inc_value(STAT_BLOCKED)
            reason, excerpt = exception.reason, exception.excerpt if exception.excerpt is not None else response.body
        else:
            reason, excerpt = f"{type(exception).__name__}: {exception}", response.body
            logger.exception("unexpected error parsing %s", response.url, exc_info=exception)
        record_failure(self.crawler, spider, response.url, reason, excerpt)
        return []


# -- a crawl that got nothing ------------------------------------------------------------------
ROBOTS_HINT = (
    "the site does not want crawlers there: use its API if it has one, or set crawl.obey_robots_txt: false "
    "only where you have its permission"
)
BLOCKED_HINT = "the site refuses this client: use its API if it has one, or slow down (crawl.download_delay)"
NOTHING_FOUND_HINT = "check the start URLs (sources.{spider}.start_urls or --url): they list nothing to land"


def nothing_crawled(crawler, spider, reason: str = "finished") -> str | None:
    """One line saying why a crawl that ran to its end landed no item, and what to do; None when it got some.

    Which it was: every request refused by robots.txt, the site blocking the client (HTTP 401/403/429, a
    block page, a refused API token), every page failing, or pages with nothing in them.  The spider's
    ``robots_hint``, ``blocked_hint`` and ``nothing_found_hint`` class attributes say what to do about
    its own site.
    """
    stats = crawler.stats
    if stats.get_value("item_scraped_count", 0) or stats.get_value("riftlab/items", 0):
        return None
    if reason != "finished":
        return None  # interrupted, or could not land: said elsewhere
    name = spider.name
    robots = stats.get_value(STAT_ROBOTS, 0)
    blocked = stats.get_value(STAT_BLOCKED, 0)
    errors = stats.get_value(STAT_ERRORS, 0)
    refused = stats.get_value(STAT_AUTH_REFUSED)
    if refused:
        return f"{name}: nothing crawled: {refused}"
    if robots:
        hint = getattr(spider, "robots_hint", None) or ROBOTS_HINT
        return f"{name}: nothing crawled: robots.txt refused all {robots} request(s). {_sentence(hint)}"
    if blocked:
        hint = getattr(spider, "blocked_hint", None) or BLOCKED_HINT
        return (
            f"{name}: nothing crawled: blocked, {blocked} request(s) answered HTTP 401/403/429 or a block page. "
            f"{_sentence(hint)}"
        )
    if errors:
        return f"{name}: nothing crawled: all {errors} page(s) failed; their reasons are in raw.crawl_errors"
    hint = getattr(spider, "nothing_found_hint", None) or NOTHING_FOUND_HINT.format(spider=name)
    return f"{name}: nothing crawled: the crawl found nothing to land. {_sentence(hint)}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
