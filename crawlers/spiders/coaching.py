"""A coaching site's champion guides and matchup pages (mobalytics-style).

The spider reads the JSON state such sites render from (Next.js ``__NEXT_DATA__``, or a
``window.__STATE__ = {...};`` assignment), which is exact, and falls back to the HTML ``<article>``.
From the champion indexes it follows ``/champions/<slug>/build`` (a document per guide section) and
``/champions/<slug>/counters`` (a document per opponent).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from parsel import Selector

from crawlers.failures import BadInput
from crawlers.items import DocumentItem
from crawlers.markup import html_to_text, parse_document
from crawlers.spiders.base import RiftSpider

PAGE_LINK = re.compile(r"/champions/[^/?#]+/(build|counters)/?$")
STATE_ASSIGNMENT = re.compile(r"window\.__STATE__\s*=\s*(\{.*\})\s*;?\s*$", re.DOTALL)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class CoachingSpider(RiftSpider):
    name = "coaching"

    def parse(self, response):
        """An index page: follow guide and matchup links (and parse it if it is itself one)."""
        selector = self.selector_of(response)
        links = [
            url for href in selector.css("a::attr(href)").getall() if PAGE_LINK.search(url := response.urljoin(href))
        ]
        if PAGE_LINK.search(response.url) or not links:
            # A guide or matchup page given as a start URL (or a page that is neither: parse_page says why).
            yield from self.parse_page(response, selector)
            return
        for url in dict.fromkeys(links):
            yield self.request(url, self.parse_page)

    def selector_of(self, response) -> Selector:
        """The page, parsed once, with all of its text however deep its markup nests."""
        return Selector(root=parse_document(self.text_of(response)), type="html")

    # -- pages ---------------------------------------------------------------------------------
    @staticmethod
    def page_state(selector: Selector) -> dict[str, Any] | None:
        """The page's embedded JSON state, or None when it carries none."""
        raw = selector.css("script#__NEXT_DATA__::text").get()
        where = "__NEXT_DATA__"
        if raw is None:
            for script in selector.css("script:not([src])::text").getall():
                match = STATE_ASSIGNMENT.search(script.strip())
                if match:
                    raw, where = match.group(1), "window.__STATE__"
                    break
        if raw is None:
            return None
        try:
            state = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadInput(f"invalid JSON in {where}: {exc.msg} at column {exc.colno}", raw) from None
        page = (state.get("props") or {}).get("pageProps") if where == "__NEXT_DATA__" else state.get("page")
        if not isinstance(page, dict):
            raise BadInput(
                f"{where}: missing expected field {'props.pageProps' if where == '__NEXT_DATA__' else 'page'}", raw
            )
        return page

    def parse_page(self, response, selector: Selector | None = None):
        selector = self.selector_of(response) if selector is None else selector
        page = self.page_state(selector)
        if page is None:
            page = self.page_from_html(response, selector)
        if "guide" in page:
            yield from self.guide_documents(response, page["guide"])
        elif "matchups" in page:
            yield from self.matchup_documents(response, page["matchups"])
        else:
            raise BadInput("page state: missing expected field guide or matchups", json.dumps(page)[:300])

    @staticmethod
    def page_from_html(response, selector: Selector) -> dict[str, Any]:
        """Fallback: ``<article data-champion=.. data-kind=guide|matchups>`` with h2 sections."""
        article = selector.css("article[data-champion]")
        if not article:
            raise BadInput(
                "no guide links, no embedded JSON state (__NEXT_DATA__, window.__STATE__) "
                "and no <article data-champion>",
                response.body,
            )
        champion = {
            "key": article.attrib["data-champion"],
            "name": article.attrib.get("data-name") or article.attrib["data-champion"],
        }
        sections, heading, parts = [], None, []
        for node in article.xpath("./*"):
            tag = node.root.tag
            if tag == "h2":
                if heading and parts:
                    sections.append({"heading": heading, "body": "".join(parts)})
                heading, parts = " ".join(node.css("::text").getall()).strip(), []
            elif heading is not None and tag not in ("h1",):
                parts.append(node.get())
        if heading and parts:
            sections.append({"heading": heading, "body": "".join(parts)})
        if not sections:
            raise BadInput("article has no <h2> sections with content (malformed HTML?)", response.body)
        title = " ".join(article.css("h1 ::text").getall()).strip() or None
        return {
            "guide": {
                "champion": champion,
                "title": title,
                "role": article.attrib.get("data-role"),
                "sections": sections,
            }
        }

    def guide_documents(self, response, guide: dict[str, Any]):
        self.require(guide, "champion", "sections", what="guide")
        self.require(guide["champion"], "key", what="guide.champion")
        champion = guide["champion"]
        role = guide.get("role") or ""
        for section in guide["sections"]:
            self.require(section, "heading", "body", what="guide section")
            body = section["body"]
            yield DocumentItem(
                source=self.name,
                url=f"{response.url.split('#')[0]}#{slug(section['heading'])}",
                champion=champion["key"],
                entity=champion.get("name") or champion["key"],
                entity_type="guide",
                title=guide.get("title") or f"{champion.get('name') or champion['key']} guide",
                section_path=" > ".join(p for p in ("Guide", role, section["heading"]) if p),
                text=html_to_text(body),
                html=body if "<" in body else None,
                revision_id=str(guide["updated"]) if guide.get("updated") else None,
                etag=self.etag_of(response),
            )

    def matchup_documents(self, response, matchups: dict[str, Any]):
        self.require(matchups, "champion", "counters", what="matchups")
        champion = matchups["champion"]
        self.require(champion, "key", what="matchups.champion")
        name = champion.get("name") or champion["key"]
        for counter in matchups["counters"]:
            self.require(counter, "opponent", "note", what="matchup")
            opponent = counter["opponent"]
            opponent_name = opponent.get("name") or opponent.get("key") if isinstance(opponent, dict) else str(opponent)
            opponent_key = opponent.get("key") if isinstance(opponent, dict) else str(opponent)
            lines = [f"{name} against {opponent_name}: {html_to_text(counter['note'])}"]
            if counter.get("winRate") is not None:
                lines.append(f"Win rate: {counter['winRate']}%")
            if counter.get("difficulty"):
                lines.append(f"Difficulty: {counter['difficulty']}")
            yield DocumentItem(
                source=self.name,
                url=f"{response.url.split('#')[0]}#vs-{quote(slug(opponent_key or opponent_name))}",
                champion=champion["key"],
                entity=opponent_key,
                entity_type="matchup",
                title=f"{name} vs {opponent_name}",
                section_path=" > ".join(p for p in ("Matchups", matchups.get("role") or "", opponent_name) if p),
                text="\n".join(lines),
                etag=self.etag_of(response),
            )
