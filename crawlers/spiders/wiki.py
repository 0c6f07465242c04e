"""A MediaWiki site through its API: category members, then each page's wikitext (or parsed HTML).

``sources.wiki.start_urls`` are ``api.php`` endpoints.  For every configured
category the spider pages through ``list=categorymembers`` (following
``continue``), then reads each page one of two ways (``sources.wiki.read``):

- ``wikitext`` (the default): ``action=parse&prop=wikitext|revid``, read with
  mwparserfromhell (:mod:`crawlers.wikitext`); the data templates the page
  transcludes (``Template:Data Aatrox/Q``, ``Template:Rune data Electrocute``) are
  fetched in one ``action=query&prop=revisions&redirects=1`` request and land as
  one passage per ability, tied to its champion and slot (``Abilities > Q > The
  Darkin Blade``), with its notes apart;
- ``html``: ``action=parse&prop=text|revid``, the rendered page split by
  :func:`crawlers.markup.split_passages` (for wikis whose templates are not the
  League of Legends wiki's).

Either way one document lands per passage, keyed by heading path: the page URL
with a fragment (``Aatrox#Trivia``), ``section_path`` ``Trivia``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from crawlers.failures import BadInput
from crawlers.items import DocumentItem
from crawlers.markup import MalformedHtml, split_passages
from crawlers.page_size import cut_text
from crawlers.spiders.base import RiftSpider
from crawlers.wikitext import Renderer, data_passage, data_templates, page_sections


def api_url(endpoint: str, **params: Any) -> str:
    """``endpoint?...`` with parameters in a fixed order (stable URLs: dupefilter, cache, fixtures)."""
    params = {"format": "json", "formatversion": "2", **params}
    return f"{endpoint}?{urlencode(sorted((k, str(v)) for k, v in params.items()))}"


def page_url(endpoint: str, title: str) -> str:
    """The human URL of a page: the folder of ``api.php`` plus the title (MediaWiki's short URLs)."""
    return f"{endpoint.rsplit('/', 1)[0]}/{quote(title.replace(' ', '_'))}"


def cont_of(payload: dict) -> str | None:
    """The ``cmcontinue`` token of a categorymembers answer (None on its last page)."""
    return (payload.get("continue") or {}).get("cmcontinue")


class WikiSpider(RiftSpider):
    name = "wiki"
    #: What to do when a crawl landed nothing (read by the crawl runner).
    nothing_found_hint = (
        "no pages in the configured categories: check sources.wiki.categories names "
        "(e.g. 'Category:Champions', with the 'Category:' prefix and the wiki's exact spelling) "
        "against the wiki's Special:Categories"
    )

    async def start(self):
        categories = self.options.get("categories") or []
        for endpoint in self.start_urls:
            for category in categories:
                yield self._members_request(endpoint, category["name"], category.get("entity_type"), None)

    @property
    def empty_categories(self) -> list[str]:
        """Configured categories the wiki answered with no members (misnamed or empty)."""
        if "_empty_categories" not in self.__dict__:
            self._empty_categories: list[str] = []
        return self._empty_categories

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
            meta={"cmcontinue": cont},
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
        if not members and not cont_of(payload) and not response.meta.get("cmcontinue"):
            self.empty_categories.append(category)
            self.nothing_found_hint = (
                f"{', '.join(self.empty_categories)} listed no pages: "
                + WikiSpider.nothing_found_hint.split(": ", 1)[1]
            )
            self.logger.warning("%s on %s has no pages", category, endpoint)
        for member in members:
            if not isinstance(member, dict) or "pageid" not in member:
                raise BadInput("categorymembers response: member without pageid", str(member))
            yield self._page_request(endpoint, member["pageid"], entity_type)
        cont = cont_of(payload)
        if cont:
            yield self._members_request(endpoint, category, entity_type, cont)

    @property
    def reads_wikitext(self) -> bool:
        return self.options.get("read", "wikitext") == "wikitext"

    def _page_request(self, endpoint: str, pageid: int, entity_type: str | None):
        kwargs = {"endpoint": endpoint, "entity_type": entity_type}
        if self.reads_wikitext:
            url = api_url(endpoint, action="parse", pageid=pageid, prop="revid|wikitext")
            return self.request(url, self.parse_wikitext, cb_kwargs=kwargs)
        url = api_url(endpoint, action="parse", pageid=pageid, prop="text|revid", disableeditsection=1)
        return self.request(url, self.parse_page, cb_kwargs=kwargs)

    def _parsed(self, response, *fields: str) -> dict:
        payload = self.json_of(response)
        if isinstance(payload, dict) and "error" in payload:
            raise BadInput(f"API error: {payload['error'].get('info', payload['error'])}", response.body)
        self.require(payload, "parse", what="parse response")
        page = payload["parse"]
        self.require(page, "title", "revid", *fields, what="parse response")
        return page

    def parse_wikitext(self, response, endpoint: str, entity_type: str | None):
        page = self._parsed(response, "wikitext")
        wikitext = page["wikitext"]["*"] if isinstance(page["wikitext"], dict) else page["wikitext"]
        wikitext, cut_from = cut_text(wikitext, self.max_page_bytes)
        renderer = Renderer()
        sections = page_sections(wikitext, renderer)
        templates = data_templates(wikitext)
        if not sections and not templates:
            raise BadInput(f"page {page['title']!r}: no text under any heading", wikitext)
        if renderer.unknown:
            self.crawler.stats.inc_value("wiki/unknown_templates", sum(renderer.unknown.values()))
            self.logger.debug("%s: dropped unknown templates %s", page["title"], ", ".join(sorted(renderer.unknown)))
        base = page_url(endpoint, page["title"])
        for section in sections:
            yield DocumentItem(
                source=self.name,
                url=f"{base}#{quote(section.anchor)}" if section.headings else base,
                entity=page["title"],
                entity_type=entity_type,
                title=page["title"],
                section_path=section.section_path,
                text=section.text,
                revision_id=str(page["revid"]),
                etag=self.etag_of(response),
                truncated_from_bytes=cut_from,
            )
        if templates:
            url = api_url(
                endpoint,
                action="query",
                prop="revisions",
                rvprop="content|ids",
                rvslots="main",
                redirects=1,
                titles="|".join(sorted(templates)),
            )
            yield self.request(
                url,
                self.parse_data_templates,
                cb_kwargs={"page": page["title"], "base": base, "entity_type": entity_type},
            )

    def parse_data_templates(self, response, page: str, base: str, entity_type: str | None):
        """The ability (or rune) passages of the data templates a page transcludes."""
        payload = self.json_of(response)
        if isinstance(payload, dict) and "error" in payload:
            raise BadInput(f"API error for {page}'s templates: {payload['error'].get('info')}", response.body)
        self.require(payload, "query", what="revisions response")
        pages = payload["query"].get("pages") or []
        if isinstance(pages, dict):  # formatversion=1 keys pages by id
            pages = list(pages.values())
        for template in pages:
            revisions = template.get("revisions") or []
            if not revisions:
                self.logger.warning("%s: template %s is missing", page, template.get("title"))
                continue
            revision = revisions[0]
            slot = (revision.get("slots") or {}).get("main") or revision
            content = slot.get("content", slot.get("*"))
            if not isinstance(content, str):
                raise BadInput(f"revisions response: {template.get('title')} has no content", str(revision)[:300])
            passage = data_passage(content)
            if passage is None:
                continue
            champion = passage.champion or (page if entity_type == "champion" else None)
            headings = passage.headings
            parts = [(headings, passage.text)] + ([([*headings, "Notes"], passage.notes)] if passage.notes else [])
            for path, text in parts:
                if not text:
                    continue
                anchor = "/".join(h.replace(" ", "_") for h in path)
                yield DocumentItem(
                    source=self.name,
                    url=f"{base}#{quote(anchor)}",
                    champion=champion,
                    entity=passage.name if passage.kind == "ability" else page,
                    entity_type="ability" if passage.kind == "ability" else entity_type,
                    title=page,
                    section_path=" > ".join(path),
                    text=text,
                    revision_id=str(revision.get("revid", "")) or None,
                    etag=self.etag_of(response),
                )

    def parse_page(self, response, endpoint: str, entity_type: str | None):
        page = self._parsed(response, "text")
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
