"""The ``sources``, ``schedules`` and ``crawl`` sections of riftlab.yaml, typed, with their defaults.

``sources.<spider>.start_urls`` point at the real sites; ``riftlab crawl SPIDER
--url URL`` overrides them, and ``riftlab crawl --offline`` (the crawl stage of
``riftlab run``) swaps them for the bundled fixture sites on 127.0.0.1.
No scrapy import here: the project file is checked before any crawl starts.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from warehouse.config import Settings, Text, refusal

URL_SCHEMES = ("http", "https", "file")
#: Levels Scrapy's LOG_LEVEL accepts.
LOG_LEVELS = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
#: `riftlab` commands a scheduler may run after each crawl (they take no arguments).
AFTER_CRAWL = Literal["build", "check"]


def _start_url(url: str) -> str:
    if urlsplit(url).scheme not in URL_SCHEMES or not url.partition("://")[2]:
        raise refusal("an http://, https:// or file:// URL", url)
    return url


def _cron(expression: str | None) -> str | None:
    if expression:
        from croniter import croniter

        if not croniter.is_valid(expression):
            raise refusal(
                "a cron expression such as '0 3 * * 1' (minute hour day month weekday), or '' / null for never",
                expression,
            )
    return expression


StartUrl = Annotated[str, AfterValidator(_start_url)]
Cron = Annotated[str | None, AfterValidator(_cron)]


class Source(Settings):
    """One spider's source: where it starts ([] = only with `riftlab crawl SPIDER --url URL`)."""

    start_urls: list[StartUrl] = []


class WikiCategory(Settings):
    """A MediaWiki category to list; its pages' documents get entity_type."""

    name: Text
    entity_type: Text | None = None


class WikiSource(Source):
    """api.php endpoints of MediaWiki sites and the categories listed there."""

    start_urls: list[StartUrl] = ["https://wiki.leagueoflegends.com/en-us/api.php"]
    categories: list[WikiCategory] = [
        WikiCategory(name="Category:Champions", entity_type="champion"),
        WikiCategory(name="Category:Items", entity_type="item"),
        WikiCategory(name="Category:Runes", entity_type="rune"),
        WikiCategory(name="Category:Epic monsters", entity_type="monster"),
    ]
    page_size: int = Field(500, ge=1, le=500)
    """Category members per API request (MediaWiki serves at most 500)."""
    read: Literal["wikitext", "html"] = "wikitext"
    """wikitext: each page's wikitext and its ability data templates; html: the rendered page (other wikis)."""


class ForumSource(Source):
    """Reddit-style JSON listings (paged with `after`)."""

    start_urls: list[StartUrl] = ["https://www.reddit.com/r/leagueoflegends/new.json?limit=100"]
    flairs: list[Text] = ["Discussion", "Gameplay", "Guide", "Educational", "Help"]
    """Only threads with one of these flairs are kept (case-insensitive); [] keeps all."""
    max_pages: int = Field(10, ge=0)
    """Listing pages read per crawl (0 = until the listing ends)."""
    comments: bool = True
    """Also land each thread's comments."""
    more_budget: int = Field(20, ge=0)
    """Requests a crawl may spend expanding collapsed comments (`more` stubs: /api/morechildren, "continue this
    thread"); 0 lands only what the thread pages show."""
    token_url: StartUrl = "https://www.reddit.com/api/v1/access_token"
    """OAuth token endpoint (application-only, client_credentials), used when RIFTLAB_REDDIT_CLIENT_ID and
    RIFTLAB_REDDIT_CLIENT_SECRET are set."""
    api_base: StartUrl = "https://oauth.reddit.com"
    """Where OAuth requests go: start URLs' paths are read from here with the bearer token."""


class Sources(Settings):
    """Where each spider starts, and its options."""

    meraki: Source = Source(
        start_urls=["https://cdn.merakianalytics.com/riot/lol/resources/latest/en-US/champions.json"]
    )
    ddragon: Source = Source(start_urls=["https://ddragon.leagueoflegends.com/cdn/15.19.1/data/en_US/champion.json"])
    wiki: WikiSource = WikiSource()
    coaching: Source = Source(start_urls=["https://mobalytics.gg/lol/champions"])
    """Champion index pages; the spider follows /champions/<slug>/build and /counters links."""
    forum: ForumSource = ForumSource()


class Schedules(Settings):
    """Cron expressions (UTC) for `riftlab schedule`; '' or null: never scheduled."""

    wiki: Cron = "0 3 * * 1"
    coaching: Cron = "0 4 * * *"
    forum: Cron = "0 5 * * *"
    meraki: Cron = "0 2 * * *"
    ddragon: Cron = "0 2 * * *"


class Crawl(Settings):
    """How Scrapy crawls: politeness, limits, caching, and where landed rows go."""

    user_agent: Text = "riftlab/0.1 (+https://github.com/riftlab/riftlab; League of Legends research crawler)"
    obey_robots_txt: bool = True
    autothrottle: bool = True
    """Politeness towards remote sites; crawls whose start URLs are all on loopback or file:// skip the delays."""
    autothrottle_target_concurrency: float = Field(2.0, gt=0)
    download_delay: float = Field(0.5, ge=0)
    """Seconds between requests to one site."""
    concurrent_requests: int = Field(16, ge=1)
    concurrent_requests_per_domain: int = Field(4, ge=1)
    download_timeout: float = Field(30, gt=0)
    """Seconds before a request is given up."""
    retry_times: int = Field(2, ge=0)
    redirect_max_times: int = Field(5, ge=0)
    max_page_bytes: int = Field(5_000_000, ge=1024)
    """Pages are cut at this many bytes (the cut is recorded)."""
    http_cache: bool = False
    """Scrapy's HTTP cache (handy while developing a spider)."""
    http_cache_dir: Text = "data/httpcache"
    jobdir: str = ""
    """When set, each spider's scheduler state lives in <jobdir>/<spider>: an interrupted crawl resumes there."""
    sink: Literal["duckdb", "parquet"] = "duckdb"
    """Where landed rows go: duckdb (the warehouse) or parquet (files under parquet_dir, for scale-out)."""
    parquet_dir: Text = "data/landing"
    log_level: LOG_LEVELS = "WARNING"
    schedule_lock: Text = "data/schedule.lock"
    """`riftlab schedule`'s lock file (never two schedulers at once)."""
    after_crawl: list[AFTER_CRAWL] = ["build", "check"]
    """`riftlab` commands the scheduler runs after each crawl, in order."""
