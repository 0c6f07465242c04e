"""What every riftlab spider shares: start URLs from config, strict decoding, error routing.

The same spider crawls the real site, a loopback server or a ``file://``
snapshot: start URLs are data (``sources.<name>.start_urls`` or ``--url``), and
nothing below depends on the scheme.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers import failures
from crawlers.failures import BadInput


class RiftSpider(scrapy.Spider):
    """Base spider: requests carry the recording errback; bodies decode strictly."""

    #: options of this spider's ``sources.<name>`` section (set by the runner).
    options: dict[str, Any]

    def __init__(self, *args: Any, start_urls: Iterable[str] | None = None, options: dict | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.start_urls = list(start_urls or [])
        self.options = dict(options or {})

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield self.request(url, self.parse)

    def request(self, url: str, callback, **kwargs: Any) -> scrapy.Request:
        """A request whose download failures land in ``raw.crawl_errors``."""
        return scrapy.Request(url, callback=callback, errback=self.on_download_error, **kwargs)

    def on_download_error(self, failure) -> None:
        failures.errback(self, failure)

    # -- decoding ------------------------------------------------------------------------------
    @staticmethod
    def text_of(response: Response) -> str:
        """The body as text; a body that is not valid in its declared encoding is bad input.

        Scrapy decodes leniently (bad bytes become U+FFFD); landing such text would
        silently corrupt the corpus, so the crawl records the page instead.
        """
        encoding = getattr(response, "encoding", None) or "utf-8"
        if response.url.startswith("file:") or encoding.lower() in ("ascii", "cp1252", "latin-1", "iso-8859-1"):
            # file:// has no Content-Type and w3lib's HTML default is cp1252: our sources are UTF-8.
            encoding = "utf-8"
        try:
            return response.body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadInput(f"body is not valid {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}", response.body) from None

    @classmethod
    def json_of(cls, response: Response) -> Any:
        """Parse a JSON body; truncated or invalid JSON is bad input naming where it broke."""
        text = cls.text_of(response)
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
            raise BadInput(f"{what}: missing expected field(s) {', '.join(missing)}", json.dumps(mapping, default=str)[:300])

    @staticmethod
    def etag_of(response: Response) -> str | None:
        value = response.headers.get(b"ETag")
        return value.decode("latin-1") if value else None
