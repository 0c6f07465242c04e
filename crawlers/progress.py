"""Live progress of a crawl on stderr: pages, items, errors and rate while it runs, a summary when it ends.

A Scrapy extension (``EXTENSIONS`` in :mod:`crawlers.settings`), so ``riftlab crawl`` and plain
``scrapy crawl`` show the same lines.  Every ``RIFTLAB_PROGRESS_INTERVAL`` seconds (0: never) it
writes one line; on a terminal the line is rewritten in place.  When the spider closes it writes a
summary, unless the caller reports the crawl itself (``riftlab crawl`` prints its results, so a spider
the runner configured gets no second summary).  ``riftlab run`` and the scheduler crawl in a child
process and keep its stderr to themselves.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

INTERVAL = "RIFTLAB_PROGRESS_INTERVAL"


class CrawlProgress:
    """Scrapy extension: a progress line every few seconds, and a summary line at the end."""

    def __init__(self, crawler, stream: TextIO | None = None):
        self.crawler = crawler
        self.stream = stream or sys.stderr
        self.interval = crawler.settings.getfloat(INTERVAL, 10.0)
        self.live = self.stream.isatty()
        self.started = time.monotonic()
        self.task = None
        self.written = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def counts(self) -> dict[str, int]:
        stats = self.crawler.stats
        return {
            "pages": stats.get_value("response_received_count", 0),
            "items": stats.get_value("riftlab/items", 0) or stats.get_value("item_scraped_count", 0),
            "landed": stats.get_value("riftlab/landed", 0),
            "errors": stats.get_value("riftlab/errors", 0),
        }

    def line(self) -> str:
        counts = self.counts()
        seconds = max(time.monotonic() - self.started, 1e-6)
        return (
            f"{self.crawler.spider.name}: {counts['pages']} pages, {counts['items']} items, {counts['errors']} errors"
            f" in {seconds:.0f}s ({counts['pages'] / seconds:.1f} pages/s, {counts['items'] / seconds:.1f} items/s)"
        )

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.task = create_looping_call(self.report)
            self.task.start(self.interval, now=False)

    def report(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
        self.written = True

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live and self.written:
            self.stream.write("\r\x1b[K")
        if getattr(spider, "configured_by", None) == "caller":  # riftlab crawl prints its own results
            self.stream.flush()
            return
        counts = self.counts()
        seconds = time.monotonic() - self.started
        run = self.crawler.stats.get_value("riftlab/crawl_run_id")
        error = self._landing_error()
        self.stream.write(
            f"{spider.name}: {reason}, {counts['pages']} pages, {counts['items']} items, {counts['landed']} landed, "
            f"{counts['errors']} errors in {seconds:.1f}s" + (f" [{run}]" if run else "") + "\n"
        )
        if error:
            self.stream.write(f"{error}\n")
        self.stream.flush()

    def _landing_error(self) -> str | None:
        from crawlers.pipelines import LandingPipeline

        pipeline = self.crawler.get_item_pipeline(LandingPipeline)
        return str(pipeline.error) if pipeline is not None and pipeline.error is not None else None
