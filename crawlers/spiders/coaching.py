"""Coaching sites: champion builds and matchups (mobalytics.gg), and guide articles (MOBAFire and the like).

What a page holds is read in this order, the most exact first:

1. ``window.__PRELOADED_STATE__ = {...}``, mobalytics' Apollo-style normalised cache
   (:mod:`crawlers.apollo`): references resolved, the champion, build (role) and matchup objects that
   carry text or counters land, a document each (``guide`` or ``matchup``); the rest is counted;
2. the JSON state of other sites (Next.js ``__NEXT_DATA__``, ``window.__STATE__ = {...};``);
3. an ``<article data-champion>`` with ``<h2>`` sections;
4. any other page's main article, found by trafilatura (:mod:`crawlers.articles`): a document per
   section under its heading path, as plain text.

From index pages it follows ``/champions/<slug>/build`` and ``/counters`` links, the role-specific
``/champions/<slug>/build/<role>`` ones (from build pages too: each role is a page of its own), and
guide links (``/guide/...``, MOBAFire's ``/build/<slug>-<id>``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from parsel import Selector

from crawlers import apollo
from crawlers.articles import MIN_ARTICLE_WORDS, extract_article
from crawlers.failures import BadInput
from crawlers.items import DocumentItem
from crawlers.markup import html_to_text, parse_document
from crawlers.spiders.base import RiftSpider

#: a champion's build or counters page, optionally for one role (``/champions/aatrox/build/jungle``)
PAGE_LINK = re.compile(r"/champions/[^/?#]+/(build|counters)(/[a-z-]+)?/?$")
#: a guide article: ``/guide/<slug>`` or MOBAFire's ``/league-of-legends/build/<slug>-<id>``
GUIDE_LINK = re.compile(r"(/guides?/[^/?#]+|/league-of-legends/build/[^/?#]+-\d+)/?$")
#: words a string needs to count as prose (not an id, enum or label)
PROSE_WORDS = 4
#: fields of a cached object that name it rather than say something about it
NAMING_FIELDS = {"id", "slug", "name", "title", "role", "type", "key", "url", "image", "icon", "patch"}
STATE_ASSIGNMENT = re.compile(r"window\.__STATE__\s*=\s*(\{.*\})\s*;?\s*$", re.DOTALL)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def object_kind(typename: str) -> str | None:
    """``matchup``, ``build`` or ``champion`` for the cached objects worth reading; None for the rest."""
    if "Matchup" in typename or "Counter" in typename:
        return "matchup"
    if "Build" in typename or "Guide" in typename:
        return "build"
    if typename.endswith("Champion"):
        return "champion"
    return None


def label(field_name: str) -> str:
    """``earlyGame`` -> ``Early game``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", field_name).replace("_", " ").lower().split()
    return " ".join(words).capitalize()


def is_prose(value: Any) -> bool:
    return isinstance(value, str) and len(value.split()) >= PROSE_WORDS and not value.startswith(("http", "/"))


def prose_lines(obj: dict[str, Any], heading: str = "") -> list[str]:
    """The prose an object says itself (inline objects included, referenced ones not), as ``Label: text`` lines."""
    lines: list[str] = []
    for key, value in obj.items():
        if key.startswith("__") or key in NAMING_FIELDS:
            continue
        name = f"{heading} > {label(key)}" if heading else label(key)
        if is_prose(value):
            lines.append(f"{name}: {html_to_text(value) if '<' in value else ' '.join(value.split())}")
        elif isinstance(value, dict) and "__ref" not in value:
            lines.extend(prose_lines(value, name))
        elif isinstance(value, list):
            for entry in value:
                if is_prose(entry):
                    lines.append(f"{name}: {' '.join(entry.split())}")
                elif isinstance(entry, dict) and "__ref" not in entry:
                    lines.extend(prose_lines(entry, name))
    return lines


def counter_lines(obj: dict[str, Any]) -> list[str]:
    """Win rate, games and difficulty of a build or matchup, from its own fields or its inline ``stats``."""
    stats = obj.get("stats") if isinstance(obj.get("stats"), dict) and "__ref" not in obj["stats"] else {}
    fields = {**stats, **{k: v for k, v in obj.items() if not isinstance(v, dict | list)}}
    lines = []
    win_rate = fields.get("winRate")
    games = fields.get("matchCount") or fields.get("games")
    if win_rate is None and isinstance(fields.get("wins"), int | float) and games:
        win_rate = 100 * fields["wins"] / games
    if isinstance(win_rate, int | float):
        win_rate = 100 * win_rate if win_rate <= 1 else win_rate
        lines.append(f"Win rate: {win_rate:.1f}%")
    if isinstance(games, int | float):
        lines.append(f"Games: {int(games)}")
    if isinstance(fields.get("difficulty"), str):
        lines.append(f"Difficulty: {fields['difficulty'].replace('_', ' ').lower()}")
    return lines


def champion_name(champion: dict[str, Any]) -> str | None:
    return champion.get("name") or champion.get("slug") or champion.get("id") if champion else None


def role_name(role: Any) -> str:
    """``TOP`` -> ``Top``, ``ADC`` stays ``ADC``."""
    if not isinstance(role, str) or not role:
        return ""
    return role if role.upper() in ("ADC", "AP", "AD") else role.replace("_", " ").capitalize()


class CoachingSpider(RiftSpider):
    name = "coaching"

    def parse(self, response):
        """An index page: follow guide and matchup links (and parse it if it is itself one)."""
        selector = self.selector_of(response)
        links = self.links(response, selector)
        if PAGE_LINK.search(response.url) or GUIDE_LINK.search(response.url) or not links:
            # A guide or matchup page given as a start URL (or a page that is neither: parse_page says why).
            yield from self.parse_page(response, selector)
            return
        for url in links:
            yield self.request(url, self.parse_page)

    @staticmethod
    def links(response, selector: Selector) -> list[str]:
        hrefs = (response.urljoin(href) for href in selector.css("a::attr(href)").getall())
        return list(dict.fromkeys(url for url in hrefs if PAGE_LINK.search(url) or GUIDE_LINK.search(url)))

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
        if PAGE_LINK.search(response.url):
            # the other roles' builds (and counters) of this champion are pages of their own
            for url in self.links(response, selector):
                if PAGE_LINK.search(url) and url.rstrip("/") != response.url.rstrip("/"):
                    yield self.request(url, self.parse_page)
        scripts = selector.css("script:not([src])::text").getall()
        try:
            state = apollo.preloaded_state(scripts)
        except apollo.StateError as exc:
            raise BadInput(str(exc), response.body) from None
        if state is not None:
            yield from self.apollo_documents(response, state)
            return
        page = self.page_state(selector)
        if page is None and selector.css("article[data-champion]"):
            page = self.page_from_html(response, selector)
        if page is None:
            yield from self.article_documents(response)
            return
        if "guide" in page:
            yield from self.guide_documents(response, page["guide"])
        elif "matchups" in page:
            yield from self.matchup_documents(response, page["matchups"])
        else:
            raise BadInput("page state: missing expected field guide or matchups", json.dumps(page)[:300])

    # -- Apollo caches (mobalytics) --------------------------------------------------------------
    def apollo_documents(self, response, state: Any):
        cache = apollo.cache_of(state)
        if cache is None:
            raise BadInput(
                "window.__PRELOADED_STATE__ holds no normalised cache (no ROOT_QUERY, no Typename:id objects)",
                json.dumps(state)[:300],
            )
        landed = 0
        for key, obj in apollo.objects(cache):
            kind = object_kind(obj.get("__typename") or key.partition(":")[0])
            if kind is None:
                continue
            if kind == "matchup":
                item = self.apollo_matchup(response, key, obj, cache)
            else:
                item = self.apollo_guide(response, key, obj, cache, kind)
            if item is None:
                self.crawler.stats.inc_value("riftlab/coaching_apollo_without_text")
                continue
            landed += 1
            yield item
        if not landed:
            raise BadInput(
                "window.__PRELOADED_STATE__: no champion, build or matchup object carries text or counters",
                json.dumps(cache)[:300],
            )

    @staticmethod
    def champion_of(obj: dict[str, Any], cache: dict[str, Any], key: str) -> dict[str, Any]:
        """The champion an object is about: its ``champion`` reference, or itself for a champion object."""
        if object_kind(obj.get("__typename") or "") == "champion":
            return obj
        champion = apollo.resolve(obj.get("champion"), cache, (key,))
        return champion if isinstance(champion, dict) else {}

    def apollo_guide(self, response, key: str, obj: dict[str, Any], cache: dict[str, Any], kind: str):
        lines = prose_lines(obj)
        if not lines:
            return None
        champion = self.champion_of(obj, cache, key)
        name = champion_name(champion)
        role = role_name(obj.get("role"))
        stats = counter_lines(obj)
        heading = "Overview" if kind == "champion" else (obj.get("title") or "Build")
        return DocumentItem(
            source=self.name,
            url=f"{response.url.split('#')[0]}#{slug(key)}",
            champion=name,
            entity=name,
            entity_type="guide",
            title=obj.get("title") or f"{name or 'Champion'} {role or ''} guide".replace("  ", " "),
            section_path=" > ".join(p for p in ("Guide", role, heading) if p),
            text="\n".join(lines + stats),
            revision_id=str(obj["patch"]) if obj.get("patch") else None,
            etag=self.etag_of(response),
        )

    def apollo_matchup(self, response, key: str, obj: dict[str, Any], cache: dict[str, Any]):
        opponent = apollo.resolve(obj.get("opponent") or obj.get("vs") or obj.get("enemy"), cache, (key,))
        if not isinstance(opponent, dict):
            return None  # (a list of matchups: each lands from its own object)
        lines, counters = [line.partition(": ")[2] for line in prose_lines(obj)], counter_lines(obj)
        if not lines and not counters:
            return None
        champion = self.champion_of(obj, cache, key)
        name, opponent_name = champion_name(champion), champion_name(opponent)
        role = role_name(obj.get("role"))
        text = [f"{name} against {opponent_name}: {' '.join(lines)}" if lines else f"{name} against {opponent_name}"]
        return DocumentItem(
            source=self.name,
            url=f"{response.url.split('#')[0]}#{slug(key)}",
            champion=name,
            entity=opponent_name,
            entity_type="matchup",
            title=f"{name} vs {opponent_name}",
            section_path=" > ".join(p for p in ("Matchups", role, opponent_name) if p),
            text="\n".join(text + counters),
            etag=self.etag_of(response),
        )

    # -- guide articles ------------------------------------------------------------------------
    def article_documents(self, response):
        text = self.text_of(response)
        article = extract_article(text, response.url)
        if article is None:
            raise BadInput(
                "no guide links, no embedded JSON state (window.__PRELOADED_STATE__, __NEXT_DATA__, window.__STATE__), "
                f"no <article data-champion> and no article of {MIN_ARTICLE_WORDS}+ words (trafilatura)",
                response.body,
            )
        page = response.url.split("#")[0]
        used: set[str] = set()
        for section in article.sections:
            fragment = slug("/".join(section.headings)) or "article"
            while fragment in used:
                fragment += "-"
            used.add(fragment)
            yield DocumentItem(
                source=self.name,
                url=f"{page}#{fragment}",
                entity=article.title,
                entity_type="guide",
                title=article.title,
                section_path=" > ".join(["Guide", *section.headings]),
                text=section.text,
                etag=self.etag_of(response),
                author=article.author,
            )

    @staticmethod
    def page_from_html(response, selector: Selector) -> dict[str, Any]:
        """``<article data-champion=.. data-kind=guide|matchups>`` with h2 sections."""
        article = selector.css("article[data-champion]")
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
