"""Item pipelines: land items in batches, incrementally; or discard them (benchmark baseline).

:class:`LandingPipeline` keeps, per source, the latest content hash of every
URL (documents) and champion (facts).  An item whose hash is unchanged is
recorded as seen (``raw.crawl_seen``) but not landed again; a new or changed
one lands as a new row.  Rows gather in memory and go to the sink every
``warehouse.batch_rows`` rows, in one transaction, and once more when the
spider closes, whatever the reason (finished, SIGINT, error), so nothing
already yielded is lost.

Batches are written by one background thread, in order: a commit (an fsync
of DuckDB's write-ahead log) then overlaps with crawling instead of stalling
the reactor.  Closing waits for every queued batch, and a failed write
fails the crawl at the next flush or at close.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals

from crawlers import failures
from crawlers.items import DocumentItem, FactsItem
from crawlers.sinks import Batch, CrawlRun, DuckDBSink, ParquetSink, Sink

logger = logging.getLogger(__name__)

#: Scrapy close reason -> crawl_runs.status
STATUS_BY_REASON = {"finished": "finished", "shutdown": "interrupted"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
        self.sink: Sink | None = None
        self.run: CrawlRun | None = None
        self.batch = Batch()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="riftlab-landing")
        self.writes: list[Future] = []
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
        spider = self.crawler.spider
        self.sink = self.sink_factory(self.crawler.settings)
        self.run = CrawlRun(spider=spider.name, start_urls=list(spider.start_urls), started_at=_now())
        self.sink.start_run(self.run)
        self.latest_documents, self.latest_facts = self.sink.latest_hashes(spider.name)
        self.crawler.stats.set_value("riftlab/crawl_run_id", self.run.crawl_run_id)

    def close_spider(self) -> None:
        self.flush()
        self.writer.shutdown(wait=True)
        self._raise_failed_writes()

    def on_spider_closed(self, spider, reason: str) -> None:
        if self.run is None or self.sink is None:
            return
        self.writer.shutdown(wait=True)
        self.run.finished_at = _now()
        self.run.status = STATUS_BY_REASON.get(reason, "failed")
        if any(f.exception() is not None for f in self.writes):
            self.run.status = "failed"  # a batch could not be written: this crawl did not land everything
        # the final status, with errors recorded after close_spider (late errbacks)
        batch, self.batch = self.batch, Batch()
        self.sink.write(batch, self.run)
        self.sink.finish_run(self.run)
        self._publish_counts()
        self.crawler.stats.set_value("riftlab/status", self.run.status)

    # -- items ---------------------------------------------------------------------------------
    def process_item(self, item):
        run = self.run
        run.items += 1
        fetched_at = _now()
        if self.aliases:
            item.url = self.alias(item.url)
        if isinstance(item, DocumentItem):
            self.batch.rows["crawl_seen"].append(
                {"crawl_run_id": run.crawl_run_id, "source": item.source, "url": item.url, "content_hash": item.content_hash}
            )
            if self.latest_documents.get(item.url) != item.content_hash:
                self.latest_documents[item.url] = item.content_hash
                version = hashlib.md5(f"{item.source}{item.url}{item.content_hash}".encode()).hexdigest()
                self.batch.rows["documents"].append({
                    "document_version_id": version, "source": item.source, "url": item.url, "champion": item.champion,
                    "entity": item.entity, "entity_type": item.entity_type, "title": item.title,
                    "section_path": item.section_path, "text": item.text, "html": item.html, "language": item.language,
                    "revision_id": item.revision_id, "etag": item.etag, "content_hash": item.content_hash,
                    "fetched_at": fetched_at, "crawl_run_id": run.crawl_run_id,
                })
                run.landed += 1
        elif isinstance(item, FactsItem):
            if self.latest_facts.get(item.champion) != item.content_hash:
                self.latest_facts[item.champion] = item.content_hash
                rows = [
                    {"champion": item.champion, "fact_type": fact_type, "value": str(value), "source": item.source,
                     "url": item.url, "content_hash": item.content_hash, "fetched_at": fetched_at,
                     "crawl_run_id": run.crawl_run_id}
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
                return landed + url[len(served):]
        return url

    def on_crawl_error(self, spider, url, reason, excerpt, occurred_at) -> None:
        if self.run is None:
            return
        url = self.alias(url)
        self.run.errors += 1
        self.batch.rows["crawl_errors"].append({
            "crawl_run_id": self.run.crawl_run_id, "spider": spider.name, "url": url, "reason": reason,
            "excerpt": excerpt, "occurred_at": occurred_at,
        })
        if len(self.batch) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Queue what has gathered for the writer thread (one transaction) and start a new batch."""
        if self.sink is None or self.run is None or not len(self.batch):
            return
        self._raise_failed_writes()
        batch, self.batch = self.batch, Batch()
        # a snapshot of the counters, so the crawl_runs row matches the rows of this very transaction
        self.writes.append(self.writer.submit(self.sink.write, batch, dataclasses.replace(self.run)))
        self._publish_counts()

    def _raise_failed_writes(self) -> None:
        pending = []
        for future in self.writes:
            if future.done():
                future.result()  # re-raises a failed write here, in the crawl
            else:
                pending.append(future)
        self.writes = pending

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
