"""Item pipelines: land items in batches, incrementally; or discard them (benchmark baseline).

An item whose content hash is unchanged since its source's last landing is recorded as seen
(``raw.crawl_seen``), not landed again.  Rows go to the sink every ``warehouse.batch_rows``, a batch
a transaction, written in order by one background thread so that commits overlap with crawling;
the rest goes when the spider closes, whatever the reason, so nothing yielded is lost.  The first
failed write ends landing and closes the spider; a crawl that cannot land at all (a locked
warehouse, data of the other origin) closes before it fetches anything.  The reason, one line for
the user, is :attr:`LandingPipeline.error`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import CloseSpider

from crawlers import failures
from crawlers.items import DocumentItem, FactsItem
from crawlers.sinks import LIVE, Batch, CrawlRun, DuckDBSink, ParquetSink, Sink, write_error
from warehouse.db import utcnow
from warehouse.errors import RiftlabError

logger = logging.getLogger(__name__)

#: Scrapy close reason -> crawl_runs.status
STATUS_BY_REASON = {"finished": "finished", "shutdown": "interrupted"}

#: stat: the line saying why a crawl landed nothing (see crawlers.failures.nothing_crawled)
STAT_NOTHING = "riftlab/nothing"

#: Scrapy close reasons of crawls the pipeline ended
CANNOT_LAND, LANDING_FAILED = "cannot_land", "landing_failed"


class LandingFailed(RiftlabError):
    """A batch could not be written (full disk, file size limit, I/O error): the crawl stopped there."""


def make_sink(settings) -> Sink:
    """The sink named by the ``RIFTLAB_SINK`` setting (``duckdb`` or ``parquet``)."""
    kind = settings.get("RIFTLAB_SINK", "duckdb")
    if kind == "duckdb":
        return DuckDBSink(Path(settings["RIFTLAB_DB_PATH"]))
    if kind == "parquet":
        return ParquetSink(Path(settings["RIFTLAB_PARQUET_DIR"]))
    raise ValueError(f"unknown RIFTLAB_SINK {kind!r}: use duckdb or parquet")


class LandingPipeline:
    """Batch, deduplicate by content hash, and land through a :class:`~crawlers.sinks.Sink`."""

    def __init__(self, crawler, sink_factory=make_sink):
        self.crawler = crawler
        self.sink_factory = sink_factory
        self.batch_rows = crawler.settings.getint("RIFTLAB_BATCH_ROWS", 500)
        self.origin = crawler.settings.get("RIFTLAB_ORIGIN", LIVE)
        self.sink: Sink | None = None
        self.run: CrawlRun | None = None
        self.batch = Batch()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="riftlab-landing")
        #: the first failed write (set by the writer thread); nothing is written after it
        self.write_failure: BaseException | None = None
        #: the run as of the last batch written: its counters are what the warehouse holds
        self.written: CrawlRun | None = None
        #: why this crawl could not land (everything, or from some point on): one line for the user
        self.error: RiftlabError | None = None
        self.closing = False
        self.latest_documents: dict[str, str] = {}
        self.latest_facts: dict[str, str] = {}
        # {served-at prefix: landed-as prefix}: offline crawls land stable URLs whatever port the fixture server got.
        self.aliases: dict[str, str] = dict(crawler.settings.getdict("RIFTLAB_URL_ALIASES"))
        crawler.signals.connect(self.on_crawl_error, signal=failures.crawl_error)
        crawler.signals.connect(self.on_spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- lifecycle -----------------------------------------------------------------------------
    def open_spider(self) -> None:
        """Open the sink and record the run; a sink that refuses closes the spider before any request."""
        spider = self.crawler.spider
        run = CrawlRun(spider=spider.name, start_urls=list(spider.start_urls), started_at=utcnow(), origin=self.origin)
        try:
            self.sink = self.sink_factory(self.crawler.settings)
            self.sink.start_run(run)
        except RiftlabError as exc:
            if self.sink is not None:
                self.sink.close()
            self.sink, self.error = None, exc
            raise CloseSpider(CANNOT_LAND) from None
        self.run = run
        self.latest_documents, self.latest_facts = self.sink.latest_hashes(spider.name)
        self.crawler.stats.set_value("riftlab/crawl_run_id", self.run.crawl_run_id)

    def close_spider(self) -> None:
        self.closing = True
        self.flush()
        self.writer.shutdown(wait=True)

    def on_spider_closed(self, spider, reason: str) -> None:
        """Write what is left with the run's final status (errors recorded after close_spider included)."""
        if self.run is None or self.sink is None:
            return
        self.writer.shutdown(wait=True)
        self.run.finished_at = utcnow()
        self.run.status = STATUS_BY_REASON.get(reason, "failed")
        self._publish_counts()
        nothing = failures.nothing_crawled(self.crawler, spider, reason)
        if nothing is not None:
            # a crawl that got nothing did not do its job: said in one line, and not "finished"
            self.run.status, self.run.error = "failed", nothing
            self.crawler.stats.set_value(STAT_NOTHING, nothing)
        if self.write_failure is None:
            batch, self.batch = self.batch, Batch()
            self._write(batch, self.run)
        if self.write_failure is not None:
            self._stop_landing()
            landed = self.written or dataclasses.replace(self.run, items=0, landed=0, errors=0)
            self.run = dataclasses.replace(
                landed, status="failed", error=str(self.error), finished_at=self.run.finished_at
            )
        try:
            self.sink.finish_run(self.run)
        except Exception as exc:  # the disk is still full: the next crawl closes the row as abandoned
            logger.info("could not close crawl run %s: %s", self.run.crawl_run_id, exc)
        self._publish_counts()
        self.crawler.stats.set_value("riftlab/status", self.run.status)

    # -- items ---------------------------------------------------------------------------------
    def process_item(self, item):
        if self.write_failure is not None:
            return item  # landing has stopped: the spider is closing, nothing more is written
        run = self.run
        run.items += 1
        fetched_at = utcnow()
        if self.aliases:
            item.url = self.alias(item.url)
        if isinstance(item, DocumentItem):
            self.batch.rows["crawl_seen"].append(
                {
                    "crawl_run_id": run.crawl_run_id,
                    "source": item.source,
                    "url": item.url,
                    "content_hash": item.content_hash,
                }
            )
            if self.latest_documents.get(item.url) != item.content_hash:
                self.latest_documents[item.url] = item.content_hash
                version = hashlib.md5(f"{item.source}{item.url}{item.content_hash}".encode()).hexdigest()
                self.batch.rows["documents"].append(
                    {
                        "document_version_id": version,
                        "source": item.source,
                        "url": item.url,
                        "champion": item.champion,
                        "entity": item.entity,
                        "entity_type": item.entity_type,
                        "title": item.title,
                        "section_path": item.section_path,
                        "text": item.text,
                        "html": item.html,
                        "language": item.language,
                        "revision_id": item.revision_id,
                        "etag": item.etag,
                        "content_hash": item.content_hash,
                        "fetched_at": fetched_at,
                        "crawl_run_id": run.crawl_run_id,
                        "truncated_from_bytes": item.truncated_from_bytes,
                        "author": item.author,
                        "created_at": item.created_at,
                        "score": item.score,
                        "link_url": item.link_url,
                        "parent_entity": item.parent_entity,
                    }
                )
                run.landed += 1
        elif isinstance(item, FactsItem):
            if self.latest_facts.get(item.champion) != item.content_hash:
                self.latest_facts[item.champion] = item.content_hash
                rows = [
                    {
                        "champion": item.champion,
                        "fact_type": fact_type,
                        "value": str(value),
                        "source": item.source,
                        "url": item.url,
                        "content_hash": item.content_hash,
                        "fetched_at": fetched_at,
                        "crawl_run_id": run.crawl_run_id,
                    }
                    for fact_type, value in dict.fromkeys(item.facts)
                ]
                self.batch.rows["facts"].extend(rows)
                run.landed += len(rows)
        else:
            raise TypeError(f"LandingPipeline cannot land {type(item).__name__}")
        if len(self.batch) >= self.batch_rows:
            self.flush()
        return item

    def alias(self, url: str | None) -> str | None:
        for served, landed in self.aliases.items():
            if url and url.startswith(served):
                return landed + url[len(served) :]
        return url

    def on_crawl_error(self, spider, url, reason, excerpt, occurred_at) -> None:
        if self.run is None:
            return
        url = self.alias(url)
        self.run.errors += 1
        self.batch.rows["crawl_errors"].append(
            {
                "crawl_run_id": self.run.crawl_run_id,
                "spider": spider.name,
                "url": url,
                "reason": reason,
                "excerpt": excerpt,
                "occurred_at": occurred_at,
            }
        )
        if len(self.batch) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Queue what has gathered for the writer thread (one transaction) and start a new batch."""
        if self.sink is None or self.run is None or not len(self.batch) or self.write_failure is not None:
            return
        batch, self.batch = self.batch, Batch()
        # a snapshot of the counters, so the crawl_runs row matches the rows of this very transaction
        self.writer.submit(self._write, batch, dataclasses.replace(self.run))
        self._publish_counts()

    def _write(self, batch: Batch, run: CrawlRun) -> None:
        """Write one batch, unless one failed before; the first failure stops the crawl (from any thread)."""
        if self.write_failure is not None:
            return
        try:
            self.sink.write(batch, run)
            self.written = run
        except Exception as exc:
            self.write_failure = exc
            from twisted.internet import reactor

            reactor.callFromThread(self._stop_landing)

    def _stop_landing(self) -> None:
        """After the first failed write: say why once, drop later items, close the spider now."""
        if self.error is not None:
            return
        self.error = LandingFailed(write_error(self.sink.target, self.write_failure, self.sink.elsewhere))
        logger.info("landing stopped: %s", self.error)
        if not self.closing:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason=LANDING_FAILED))

    def _publish_counts(self) -> None:
        self.crawler.stats.set_value("riftlab/items", self.run.items)
        self.crawler.stats.set_value("riftlab/landed", self.run.landed)


class DiscardPipeline:
    """Count items and keep none: the baseline the landing pipeline's throughput is measured against."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        self.crawler.stats.inc_value("riftlab/items")
        return item
