"""The wiki spider over the real recorded pages, served on loopback as wiki.leagueoflegends.com's API serves them."""

from __future__ import annotations

import json

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.fixtures.real_wiki import build_site
from crawlers.fixtures.server import FixtureServer
from crawlers.spiders.wiki import WikiSpider, api_url
from tests.crawlers.project import CrawlProject
from tests.crawlers.real_wiki import real_wikitext

CATEGORIES = [
    {"name": "Category:Champions", "entity_type": "champion"},
    {"name": "Category:Items", "entity_type": "item"},
    {"name": "Category:Runes", "entity_type": "rune"},
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    site = tmp_path_factory.mktemp("real-wiki")
    build_site(real_wikitext(), site / "wiki")
    with FixtureServer(site) as server:
        root = site / "project"
        project = CrawlProject.serving(root, server.url)
        project.configure(
            {
                "name": "real-wiki",
                "sources": {"wiki": {"start_urls": [f"{server.url}/wiki/en-us/api.php"], "categories": CATEGORIES}},
            }
        )
        done = project.run("crawl", "wiki")
        assert done.returncode == 0, done.stdout + done.stderr
        yield project


def test_aatrox_lands_five_abilities_tied_to_champion_and_slot(crawled):
    rows = crawled.query(
        "SELECT section_path, champion, entity, entity_type, url FROM raw.documents"
        " WHERE source = 'wiki' AND entity_type = 'ability' ORDER BY section_path"
    )
    descriptions = [r for r in rows if not r[0].endswith("> Notes")]
    assert [(r[0], r[1], r[2]) for r in descriptions] == [
        ("Abilities > E > Umbral Dash", "Aatrox", "Umbral Dash"),
        ("Abilities > P > Deathbringer Stance", "Aatrox", "Deathbringer Stance"),
        ("Abilities > Q > The Darkin Blade", "Aatrox", "The Darkin Blade"),
        ("Abilities > R > World Ender", "Aatrox", "World Ender"),
        ("Abilities > W > Infernal Chains", "Aatrox", "Infernal Chains"),
    ]
    assert len(rows) == 10  # each ability's notes land apart
    assert any(r[4].endswith("/Aatrox#Abilities/Q/The_Darkin_Blade") for r in rows)


def test_pages_land_as_sections_with_heading_paths(crawled):
    paths = crawled.query(
        "SELECT title, list(section_path ORDER BY section_path) FROM raw.documents"
        " WHERE entity_type <> 'ability' GROUP BY title ORDER BY title"
    )
    assert paths == [
        ("Aatrox", ["Champion skins", "Trivia"]),
        ("Electrocute", ["Description", "Media > Sound effects", "Notes", "Patch History", "Trivia"]),
        ("Infinity Edge", ["", "Background", "Notes", "Patch history", "Trivia"]),
        ("World Atlas", ["Media > Sound effects", "Notes", "Patch history"]),
    ]
    # ids and revisions are the API's: the page's for its sections, the template's for an ability
    assert crawled.scalar("SELECT count(DISTINCT revision_id) FROM raw.documents WHERE title = 'Aatrox'") == 6


def test_no_infobox_markup_or_widget_reaches_a_passage(crawled):
    texts = [t for (t,) in crawled.query("SELECT text FROM raw.documents")]
    corpus = "\n".join(texts)
    for junk in ("Acq. radius", "Selection radius", "{{", "[[", ".png", ".ogg", "Yun Tal Wildarrows", "DeVaan"):
        assert junk not in corpus, junk
    abilities = [t for (t,) in crawled.query("SELECT text FROM raw.documents WHERE entity_type = 'ability'")]
    for text in abilities:
        for line in text.split("\n"):
            assert not line.rstrip().endswith(":"), line  # a level-table label always has its values


def test_a_misnamed_category_lands_nothing_and_the_spider_says_what_to_do():
    crawler = get_crawler(WikiSpider, {"RIFTLAB_MAX_PAGE_BYTES": 1_000_000})
    spider = WikiSpider.from_crawler(crawler, start_urls=["http://127.0.0.1/en-us/api.php"], options={})
    url = api_url("http://127.0.0.1/en-us/api.php", action="query", list="categorymembers", cmtitle="Category:Champion")
    # the real API's answer for a category with no members (a misnamed one: "Champion" for "Champions")
    body = json.dumps({"batchcomplete": True, "query": {"categorymembers": []}}).encode()
    response = TextResponse(url, body=body, encoding="utf-8", request=Request(url, meta={"cmcontinue": None}))
    assert list(spider.parse_members(response, "http://127.0.0.1/en-us/api.php", "Category:Champion", None)) == []
    assert spider.empty_categories == ["Category:Champion"]
    assert spider.nothing_found_hint.startswith("Category:Champion listed no pages: check sources.wiki.categories")
    assert "\n" not in WikiSpider.nothing_found_hint
