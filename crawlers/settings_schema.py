"""The ``sources``, ``schedules`` and ``crawl`` sections of riftlab.yaml, typed, with their defaults.

``sources.<spider>.start_urls`` point at the real sites; ``riftlab crawl SPIDER
--url URL`` overrides them, and ``riftlab crawl --offline`` (the crawl stage of
``riftlab run``) swaps them for the bundled fixture sites on 127.0.0.1.
No scrapy import here: the project file is checked before any crawl starts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_origin
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from warehouse.config import Settings, Text, refusal, validate

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

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, data: Any) -> Any:
        """A bare name (``-a categories=Category:Items``) is a category without an entity type."""
        return {"name": data} if isinstance(data, str) else data


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


#: Where spider arguments come from, in the one line that refuses a bad one.
ARGUMENTS = "spider arguments (-a NAME=VALUE)"


def _argument_value(text: str, field_annotation: Any) -> Any:
    """A spider argument as YAML (``2``, ``false``, ``[a, b]``); a list setting also takes ``a,b``."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    if isinstance(value, str | int | float) and get_origin(field_annotation) is list:
        return [part.strip() for part in str(value).split(",") if part.strip()]
    return text if value is None else value


def source_options(spider: str, options: dict[str, Any], arguments: dict[str, str]) -> dict[str, Any]:
    """``sources.<spider>`` (``options``, start_urls included) with spider arguments over it, checked.

    ``arguments`` are text, as ``scrapy crawl -a NAME=VALUE`` and ``riftlab crawl -a`` give them:
    ``start_urls=URL1,URL2`` or any option of the source (``-a max_pages=2``).  A bad name or value is
    refused in one line, as riftlab.yaml's would be.
    """
    model = Sources.model_fields[spider].annotation
    fields = model.model_fields
    given = {
        name: _argument_value(value, fields[name].annotation) if name in fields else value
        for name, value in arguments.items()
    }
    return validate(Sources, {spider: {**options, **given}}, ARGUMENTS)[spider]
