"""Pages are capped at ``RIFTLAB_MAX_PAGE_BYTES``: a bigger one lands cut at the cap, and the cut is recorded.

The download stops soon after the cap (JSON excepted: a cut would break it), so a 50 MB page never
sits in memory whole; :meth:`crawlers.spiders.base.RiftSpider.text_of` decodes at most the cap; and
:class:`PageSizeMiddleware` cuts every document's text and html, JSON sources' included.  Sizes are
UTF-8 bytes, cut on a character boundary; a cut document carries ``truncated_from_bytes``, its size
before the cut.  Stats: ``riftlab/pages_cut``, ``riftlab/documents_truncated``.
"""

from __future__ import annotations

import codecs
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.http import JsonResponse
from scrapy.responsetypes import responsetypes

from crawlers import settings as defaults
from crawlers.items import DocumentItem

logger = logging.getLogger(__name__)

SETTING = "RIFTLAB_MAX_PAGE_BYTES"
STAT_PAGES = "riftlab/pages_cut"
STAT_DOCUMENTS = "riftlab/documents_truncated"
#: request.meta keys: bytes of a page received so far; the size of a page that was cut.
RECEIVED = "riftlab_received_bytes"
PAGE_BYTES = "riftlab_page_bytes"
#: Characters measured at a time, so sizing a huge string never copies it whole.
_CHUNK = 1 << 20


def max_page_bytes(settings) -> int:
    return settings.getint(SETTING, defaults.RIFTLAB_MAX_PAGE_BYTES)


def is_page(response_class: type) -> bool:
    """Whether a response of this class may be cut (everything but JSON)."""
    return not issubclass(response_class, JsonResponse)


def utf8_size(text: str) -> int:
    return sum(len(text[i : i + _CHUNK].encode("utf-8", "surrogatepass")) for i in range(0, len(text), _CHUNK))


def decode_prefix(data: bytes, encoding: str) -> str:
    """``data`` decoded strictly, but for a character the end of ``data`` cut in two (dropped)."""
    return codecs.getincrementaldecoder(encoding)().decode(data, final=False)


def cut_text(text: str | None, max_bytes: int) -> tuple[str | None, int | None]:
    """(``text`` cut to ``max_bytes`` UTF-8 bytes, its size before the cut); (``text``, None) when it fits."""
    if text is None or len(text) * 4 <= max_bytes:
        return text, None
    head = text[: max_bytes + 1].encode("utf-8", "surrogatepass")  # a character is at least one byte
    if len(head) <= max_bytes:
        return text, None
    return codecs.getincrementaldecoder("utf-8")("surrogatepass").decode(head[:max_bytes]), utf8_size(text)


def page_size(response) -> int:
    """The size of a page as served: its Content-Length when it declares one, at least what arrived."""
    declared = (response.headers.get(b"Content-Length") or b"").strip()
    return max(int(declared) if declared.isdigit() else 0, len(response.body))


def capped(item: DocumentItem, max_bytes: int, page_bytes: int | None = None) -> DocumentItem:
    """``item`` with its text and html cut to ``max_bytes``; ``truncated_from_bytes`` the largest size cut."""
    text, text_from = cut_text(item.text, max_bytes)
    html, html_from = cut_text(item.html, max_bytes)
    sizes = [size for size in (item.truncated_from_bytes, page_bytes, text_from, html_from) if size]
    if not sizes:
        return item
    # a cut changes the content, so the hash is computed again (of what lands)
    content_hash = item.content_hash if text_from is None and html_from is None else ""
    return dataclasses.replace(item, text=text, html=html, truncated_from_bytes=max(sizes), content_hash=content_hash)


class PageSizeMiddleware:
    """Spider middleware: stop page downloads past the cap; cut every document to it and record the cut."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_bytes = max_page_bytes(crawler.settings)
        crawler.signals.connect(self.on_headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.on_bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- downloads -----------------------------------------------------------------------------
    def on_headers_received(self, headers, request) -> None:
        """Meter the body of a page (JSON is read whole: a cut one would not parse)."""
        if is_page(responsetypes.from_args(headers=headers, url=request.url)):
            request.meta[RECEIVED] = 0

    def on_bytes_received(self, data: bytes, request) -> None:
        if RECEIVED not in request.meta:
            return
        request.meta[RECEIVED] += len(data)
        if request.meta[RECEIVED] > self.max_bytes:
            raise StopDownload(fail=False)  # the response goes on to the spider with what has arrived

    # -- documents -----------------------------------------------------------------------------
    def _cap(self, response, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        cut = capped(item, self.max_bytes, response.meta.get(PAGE_BYTES))
        if cut.truncated_from_bytes:
            self.crawler.stats.inc_value(STAT_DOCUMENTS)
        return cut

    def process_spider_output(self, response, result: Iterable[Any]) -> Iterator[Any]:
        for item in result:
            yield self._cap(response, item)

    async def process_spider_output_async(self, response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in result:
            yield self._cap(response, item)
