"""Scrapy settings shared by every riftlab crawl (``scrapy`` reads this module by name: ``scrapy.cfg``).

Per-project values (user agent, politeness, sink, JOBDIR ...) come from the
``crawl`` section of riftlab.yaml through :func:`crawlers.runner.scrapy_settings`: ``riftlab crawl``
sets them itself, and under plain ``scrapy crawl NAME`` the add-on
:class:`crawlers.project_settings.ProjectSettings` does (``-s KEY=VALUE`` wins in both).
"""

BOT_NAME = "riftlab"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ROBOTSTXT_OBEY = True
TELNETCONSOLE_ENABLED = False
#: riftlab.yaml's crawl.log_level replaces it once a crawl starts; until then Scrapy stays quiet too.
LOG_LEVEL = "WARNING"
COOKIES_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

SPIDER_MIDDLEWARES = {
    # Nearest to the spider: exceptions raised in callbacks become raw.crawl_errors rows.
    "crawlers.failures.CrawlFailureMiddleware": 950,
    # Documents are cut at RIFTLAB_MAX_PAGE_BYTES (and page downloads stopped past it).
    "crawlers.page_size.PageSizeMiddleware": 900,
}
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt and everything else: nothing is fetched from a host:port no start URL is on.
    "crawlers.offsite.StartSitesMiddleware": 40,
}
ITEM_PIPELINES = {"crawlers.pipelines.LandingPipeline": 300}
ADDONS = {
    # `scrapy crawl NAME`: riftlab.yaml's crawl settings and the spider's sources.<name> options.
    "crawlers.project_settings.ProjectSettings": 0,
    # -s REDIS_URL=...: one crawl shared by many workers (scrapy-redis queue and dupefilter).
    "crawlers.distributed.SharedQueue": 10,
}
#: Pages, items, errors and rate on stderr while a crawl runs, and a summary at its end.
EXTENSIONS = {"crawlers.progress.CrawlProgress": 500}
#: Seconds between progress lines (0: none).
RIFTLAB_PROGRESS_INTERVAL = 10.0

RIFTLAB_SINK = "duckdb"
RIFTLAB_BATCH_ROWS = 500
#: The most UTF-8 bytes one page, and one document's text or html, may land (riftlab.yaml: crawl.max_page_bytes).
RIFTLAB_MAX_PAGE_BYTES = 5_000_000
