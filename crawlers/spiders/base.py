"""What every riftlab spider shares: start URLs from config, strict decoding, a size cap, error routing.

The same spider crawls the real site, a loopback server or a ``file://``
snapshot: start URLs are data (``sources.<name>.start_urls`` or ``--url``), and
nothing below depends on the scheme.  ``riftlab crawl`` hands a spider its start URLs and
options; under plain ``scrapy crawl NAME`` they come from the project
(:mod:`crawlers.project_settings`), ``-a start_urls=URL1,URL2`` and ``-a NAME=VALUE`` over them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers import failures, page_size
from crawlers.failures import BadInput

logger = logging.getLogger(__name__)


def start_urls_of(value: Iterable[str] | str | None) -> list[str]:
    """Start URLs from a list, or from text as ``-a start_urls=URL1,URL2`` gives it (comma-separated)."""
    if isinstance(value, str):
        return [url.strip() for url in value.split(",") if url.strip()]
    return list(value or [])


class RiftSpider(scrapy.Spider):
    """Base spider: requests carry the recording errback; bodies decode strictly; pages are capped."""

    #: options of this spider's ``sources.<name>`` section (set by the runner).
    options: dict[str, Any]

    def __init__(
        self, *args: Any, start_urls: Iterable[str] | str | None = None, options: dict | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.start_urls = start_urls_of(start_urls)
        self.options = dict(options or {})
        #: who gave the start URLs and options: ``caller`` (``riftlab crawl``), ``project`` (``scrapy crawl``)
        self.configured_by: str | None = "caller" if options is not None else None
        #: the other spider arguments (``scrapy crawl -a NAME=VALUE``): options of ``sources.<name>``
        self.arguments: dict[str, str] = {k: v for k, v in kwargs.items() if not k.startswith("_")}

    def configure(self, start_urls: list[str], options: dict[str, Any]) -> None:
        """The project's start URLs and source options (``riftlab crawl`` passes them at creation instead)."""
        self.start_urls, self.options, self.configured_by = list(start_urls), dict(options), "project"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield self.request(url, self.parse)

    def request(self, url: str, callback, **kwargs: Any) -> scrapy.Request:
        """A request whose download failures land in ``raw.crawl_errors``."""
        return scrapy.Request(url, callback=callback, errback=self.on_download_error, **kwargs)

    def on_download_error(self, failure) -> None:
        failures.errback(self, failure)

    # -- decoding ------------------------------------------------------------------------------
    @property
    def max_page_bytes(self) -> int:
        """The most bytes a page (and a document's text or html) may land: ``RIFTLAB_MAX_PAGE_BYTES``."""
        return page_size.max_page_bytes(self.crawler.settings)

    def text_of(self, response: Response) -> str:
        """The body as text, a page cut at :attr:`max_page_bytes`; a body not valid in its encoding is bad input.

        Scrapy decodes leniently (bad bytes become U+FFFD); landing such text would
        silently corrupt the corpus, so the crawl records the page instead.
        JSON is never cut (it would not parse); :mod:`crawlers.page_size` caps its documents.
        """
        encoding = getattr(response, "encoding", None) or "utf-8"
        if response.url.startswith("file:") or encoding.lower() in ("ascii", "cp1252", "latin-1", "iso-8859-1"):
            # file:// has no Content-Type and w3lib's HTML default is cp1252: our sources are UTF-8.
            encoding = "utf-8"
        body = response.body
        cut = page_size.is_page(type(response)) and len(body) > self.max_page_bytes
        if cut:
            self._note_cut(response)
            body = body[: self.max_page_bytes]
        try:
            return page_size.decode_prefix(body, encoding) if cut else body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadInput(
                f"body is not valid {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}", body
            ) from None

    def _note_cut(self, response: Response) -> None:
        """Remember a page's size for the documents it yields (they land with ``truncated_from_bytes``)."""
        if page_size.PAGE_BYTES in response.meta:
            return
        size = response.meta[page_size.PAGE_BYTES] = page_size.page_size(response)
        self.crawler.stats.inc_value(page_size.STAT_PAGES)
        logger.warning(
            "page %s is %d bytes: landing its first %d (crawl.max_page_bytes)", response.url, size, self.max_page_bytes
        )

    def json_of(self, response: Response) -> Any:
        """Parse a JSON body; truncated or invalid JSON is bad input naming where it broke."""
        text = self.text_of(response)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", text) from None

    @staticmethod
    def require(mapping: Any, *keys: str, what: str) -> None:
        """Fail with the missing field names when ``mapping`` lacks expected ``keys``."""
        if not isinstance(mapping, dict):
            raise BadInput(f"{what}: expected an object, got {type(mapping).__name__}", json.dumps(mapping)[:300])
        missing = [key for key in keys if mapping.get(key) in (None, "")]
        if missing:
            raise BadInput(
                f"{what}: missing expected field(s) {', '.join(missing)}", json.dumps(mapping, default=str)[:300]
            )

    @staticmethod
    def etag_of(response: Response) -> str | None:
        value = response.headers.get(b"ETag")
        return value.decode("latin-1") if value else None
