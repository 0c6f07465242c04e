"""One crawl, many worker processes: a shared scrapy-redis queue and dupefilter (``-s REDIS_URL=...``).

With ``REDIS_URL`` set (``riftlab crawl SPIDER --sink parquet -s REDIS_URL=redis://HOST:6379``, or the
same ``-s`` on ``scrapy crawl``), the add-on :class:`SharedQueue` switches the scheduler and the
dupefilter to scrapy-redis: every worker of the spider pushes its requests to ``<spider>:requests``
and pops whichever comes next, and ``<spider>:dupefilter`` lets each URL through once, whichever
worker found it.  Each worker lands its own Parquet files (``--sink parquet``: DuckDB has one writer);
``riftlab import-landing`` folds them in afterwards.  :class:`SharedCrawlWorkers` decides when the
crawl starts and when it is over:

- with ``RIFTLAB_REDIS_WORKERS=N``, a worker waits until N workers have joined the crawl before it
  sends a request (at most ``RIFTLAB_REDIS_MAX_IDLE`` seconds), so that none finishes the crawl
  before the others are up;
- a worker whose queue ran dry stays open while another worker is still busy (its responses may
  yield more requests), at most ``RIFTLAB_REDIS_MAX_IDLE`` seconds;
- the last worker to finish clears the crawl's keys, so that the next crawl starts afresh; a crawl
  that was interrupted keeps them, and workers started again resume its queue.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

logger = logging.getLogger(__name__)

SCHEDULER = "scrapy_redis.scheduler.Scheduler"
DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"
#: Seconds an idle worker waits for busy ones before it closes anyway (one killed mid-crawl never finishes),
#: and the longest a worker waits for the others to join.
MAX_IDLE = "RIFTLAB_REDIS_MAX_IDLE"
#: Workers a crawl waits for before it starts (1: none).
WORKERS = "RIFTLAB_REDIS_WORKERS"
#: Seconds between looks at how many workers have joined.
JOIN_POLL = 0.1


class SharedQueue:
    """Scrapy add-on: with ``REDIS_URL`` set, the scrapy-redis scheduler and dupefilter, and the worker rules."""

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", SCHEDULER, priority="addon")
        settings.set("DUPEFILTER_CLASS", DUPEFILTER, priority="addon")
        # Kept when one worker closes: the others still crawl from them (the last one clears them).
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        settings.set_in_component_priority_dict("EXTENSIONS", SharedCrawlWorkers, 600)


class SharedCrawlWorkers:
    """Scrapy extension: workers of one crawl wait for each other, and the last one clears the crawl's keys."""

    def __init__(self, crawler):
        from scrapy_redis.connection import get_redis_from_settings

        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.max_idle = crawler.settings.getfloat(MAX_IDLE, 60.0)
        self.expected = crawler.settings.getint(WORKERS, 1)
        self.idle_since: float | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _keys(self, spider) -> dict[str, str]:
        from scrapy_redis import defaults

        settings = self.crawler.settings
        return {
            "workers": f"{spider.name}:workers",
            "joined": f"{spider.name}:joined",
            "idle": f"{spider.name}:idle",
            "queue": settings.get("SCHEDULER_QUEUE_KEY", defaults.SCHEDULER_QUEUE_KEY) % {"spider": spider.name},
            "dupefilter": settings.get("SCHEDULER_DUPEFILTER_KEY", defaults.SCHEDULER_DUPEFILTER_KEY)
            % {"spider": spider.name},
        }

    def spider_opened(self, spider) -> None:
        """Join the crawl; with ``RIFTLAB_REDIS_WORKERS``, wait for the others (nothing is requested yet)."""
        keys = self._keys(spider)
        self.server.sadd(keys["workers"], self.worker)
        self.server.srem(keys["idle"], self.worker)
        joined = self.server.incr(keys["joined"])
        deadline = time.monotonic() + self.max_idle
        while joined < self.expected and time.monotonic() < deadline:
            time.sleep(JOIN_POLL)
            joined = int(self.server.get(keys["joined"]) or 0)
        if joined < self.expected:
            logger.warning("starting with %d of %d workers after %.0fs", joined, self.expected, self.max_idle)

    def response_received(self, response, request, spider) -> None:
        if self.idle_since is not None:
            self.idle_since = None
            self.server.srem(self._keys(spider)["idle"], self.worker)

    def spider_idle(self, spider) -> None:
        """Stay open while the queue holds requests or another worker is busy (up to the idle limit)."""
        keys = self._keys(spider)
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
            self.server.sadd(keys["idle"], self.worker)
        queued = self._queued(keys["queue"])
        busy = self.server.scard(keys["workers"]) - self.server.scard(keys["idle"])
        if (queued or busy > 0) and now - self.idle_since < self.max_idle:
            raise DontCloseSpider
        if busy > 0:
            logger.warning(
                "closing after %.0fs idle although %d other worker(s) seem busy", now - self.idle_since, busy
            )

    def _queued(self, key: str) -> int:
        """Requests in the shared queue (a sorted set for the priority queue, a list for FIFO/LIFO)."""
        kind = self.server.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        return self.server.zcard(key) if kind == "zset" else self.server.llen(key) if kind == "list" else 0

    def spider_closed(self, spider, reason: str) -> None:
        keys = self._keys(spider)
        self.server.srem(keys["idle"], self.worker)
        self.server.srem(keys["workers"], self.worker)
        if reason == "finished" and not self.server.scard(keys["workers"]):
            self.server.delete(*keys.values())
