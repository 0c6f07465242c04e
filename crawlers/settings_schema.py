"""Defaults for the ``sources``, ``schedules`` and ``crawl`` sections of riftlab.yaml.

``sources.<spider>.start_urls`` point at the real sites; ``riftlab crawl SPIDER
--url URL`` overrides them, and ``riftlab crawl --offline`` (the crawl stage of
``riftlab run``) swaps them for the bundled fixture sites on 127.0.0.1.
"""

SOURCES = {
    "meraki": {
        "start_urls": ["https://cdn.merakianalytics.com/riot/lol/resources/latest/en-US/champions.json"],
    },
    "ddragon": {
        "start_urls": ["https://ddragon.leagueoflegends.com/cdn/15.19.1/data/en_US/champion.json"],
    },
    "wiki": {
        # api.php endpoints of MediaWiki sites.
        "start_urls": ["https://wiki.leagueoflegends.com/en-us/api.php"],
        # Categories to list; each page's documents get the entity_type given here.
        "categories": [
            {"name": "Category:Champions", "entity_type": "champion"},
            {"name": "Category:Items", "entity_type": "item"},
            {"name": "Category:Runes", "entity_type": "rune"},
            {"name": "Category:Epic monsters", "entity_type": "monster"},
        ],
        "page_size": 500,
    },
    "coaching": {
        # Champion index pages; the spider follows /champions/<slug>/build and /counters links.
        "start_urls": ["https://mobalytics.gg/lol/champions"],
    },
    "forum": {
        # Reddit-style JSON listings (paged with `after`).
        "start_urls": ["https://www.reddit.com/r/leagueoflegends/new.json?limit=100"],
        # Only threads with one of these flairs are kept (case-insensitive); [] keeps all.
        "flairs": ["Discussion", "Gameplay", "Guide", "Educational", "Help"],
        "max_pages": 10,
        "comments": True,
    },
}

# Cron expressions (UTC) for `riftlab schedule`; a spider missing here is never scheduled.
SCHEDULES = {
    "wiki": "0 3 * * 1",
    "coaching": "0 4 * * *",
    "forum": "0 5 * * *",
    "meraki": "0 2 * * *",
    "ddragon": "0 2 * * *",
}

CRAWL = {
    "user_agent": "riftlab/0.1 (+https://github.com/riftlab/riftlab; League of Legends research crawler)",
    "obey_robots_txt": True,
    # Politeness towards remote sites; crawls whose start URLs are all on loopback or file:// skip the delays.
    "autothrottle": True,
    "autothrottle_target_concurrency": 2.0,
    "download_delay": 0.5,
    "concurrent_requests": 16,
    "concurrent_requests_per_domain": 4,
    "download_timeout": 30,
    "retry_times": 2,
    "redirect_max_times": 5,
    # Scrapy's HTTP cache (handy while developing a spider), relative to the project.
    "http_cache": False,
    "http_cache_dir": "data/httpcache",
    # When set, each spider's scheduler state lives in <jobdir>/<spider>: an interrupted crawl resumes there.
    "jobdir": "",
    # Where landed rows go: duckdb (the warehouse) or parquet (files under parquet_dir, for scale-out).
    "sink": "duckdb",
    "parquet_dir": "data/landing",
    "log_level": "WARNING",
    # `riftlab schedule`: lock file (never two schedulers at once) and the commands run after each crawl.
    "schedule_lock": "data/schedule.lock",
    "after_crawl": ["build", "check"],
}
