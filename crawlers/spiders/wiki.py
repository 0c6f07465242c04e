"""A MediaWiki site through its API: category members, then each page's parsed HTML.

``sources.wiki.start_urls`` are ``api.php`` endpoints.  For every configured
category the spider pages through ``list=categorymembers`` (following
``continue``), then asks ``action=parse`` for each page's HTML and revision id,
and yields one document per passage, keyed by heading path: the page URL with
a fragment (``Aatrox#Abilities/Q``), ``section_path`` ``Abilities > Q``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from crawlers.failures import BadInput
from crawlers.items import DocumentItem
from crawlers.markup import MalformedHtml, split_passages
from crawlers.page_size import cut_text
from crawlers.spiders.base import RiftSpider


def api_url(endpoint: str, **params: Any) -> str:
    """``endpoint?...`` with parameters in a fixed order (stable URLs: dupefilter, cache, fixtures)."""
    params = {"format": "json", "formatversion": "2", **params}
    return f"{endpoint}?{urlencode(sorted((k, str(v)) for k, v in params.items()))}"


def page_url(endpoint: str, title: str) -> str:
    """The human URL of a page: the folder of ``api.php`` plus the title (MediaWiki's short URLs)."""
    return f"{endpoint.rsplit('/', 1)[0]}/{quote(title.replace(' ', '_'))}"


class WikiSpider(RiftSpider):
    name = "wiki"

    async def start(self):
        categories = self.options.get("categories") or []
        for endpoint in self.start_urls:
            for category in categories:
                yield self._members_request(endpoint, category["name"], category.get("entity_type"), None)

    def _members_request(self, endpoint: str, category: str, entity_type: str | None, cont: str | None):
        params: dict[str, Any] = {
            "action": "query",
            "list": "categorymembers",
            "cmtitle": category,
            "cmlimit": self.options.get("page_size", 500),
            "cmnamespace": 0,
        }
        if cont:
            params["cmcontinue"] = cont
        return self.request(
            api_url(endpoint, **params),
            self.parse_members,
            cb_kwargs={"endpoint": endpoint, "category": category, "entity_type": entity_type},
        )

    def parse_members(self, response, endpoint: str, category: str, entity_type: str | None):
        payload = self.json_of(response)
        if isinstance(payload, dict) and "error" in payload:
            raise BadInput(f"API error for {category}: {payload['error'].get('info', payload['error'])}", response.body)
        self.require(payload, "query", what="categorymembers response")
        members = payload["query"].get("categorymembers")
        if not isinstance(members, list):
            raise BadInput("categorymembers response: missing expected field query.categorymembers", response.body)
        for member in members:
            if not isinstance(member, dict) or "pageid" not in member:
                raise BadInput("categorymembers response: member without pageid", str(member))
            yield self.request(
                api_url(endpoint, action="parse", pageid=member["pageid"], prop="text|revid", disableeditsection=1),
                self.parse_page,
                cb_kwargs={"endpoint": endpoint, "entity_type": entity_type},
            )
        cont = (payload.get("continue") or {}).get("cmcontinue")
        if cont:
            yield self._members_request(endpoint, category, entity_type, cont)

    def parse_page(self, response, endpoint: str, entity_type: str | None):
        payload = self.json_of(response)
        if isinstance(payload, dict) and "error" in payload:
            raise BadInput(f"API error: {payload['error'].get('info', payload['error'])}", response.body)
        self.require(payload, "parse", what="parse response")
        page = payload["parse"]
        self.require(page, "title", "revid", "text", what="parse response")
        html = page["text"]["*"] if isinstance(page["text"], dict) else page["text"]
        # cut before parsing: a huge page is never held as a whole tree (its passages land with the cut recorded)
        html, cut_from = cut_text(html, self.max_page_bytes)
        try:
            passages = split_passages(html)
        except MalformedHtml as exc:
            raise BadInput(f"page {page['title']!r}: malformed HTML: {exc}", html) from None
        base = page_url(endpoint, page["title"])
        for passage in passages:
            yield DocumentItem(
                source=self.name,
                url=f"{base}#{quote(passage.anchor)}" if passage.headings else base,
                entity=page["title"],
                entity_type=entity_type,
                title=page["title"],
                section_path=passage.section_path,
                text=passage.text,
                html=passage.html,
                revision_id=str(page["revid"]),
                etag=self.etag_of(response),
                truncated_from_bytes=cut_from,
            )
