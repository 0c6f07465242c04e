"""Deeply nested pages land all their text (issue 14, row 11: from ~255 levels, text was dropped silently)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.fixtures.server import FixtureServer
from crawlers.spiders.wiki import api_url
from tests.crawlers.project import CrawlProject

DEPTH = 200_000
WORDS = [f"w{i}" for i in range(400)]


def guide(champion: str, section: str) -> str:
    return (
        f'<html><body><article data-champion="{champion}"><h1>{champion} guide</h1>'
        f"<h2>Deep</h2>{section}<h2>After</h2><p>after the deep part</p></article></body></html>"
    )


@pytest.fixture
def site(tmp_path: Path):
    """A coaching page 200,000 divs deep, one of 400 unclosed spans, and a wiki page 200,000 divs deep."""
    root = tmp_path / "site"
    pages = {
        "c/champions/deep/build/index.html": guide("Deep", "<div>" * DEPTH + "the deepest words" + "</div>" * DEPTH),
        "c/champions/spans/build/index.html": guide("Spans", "<p>" + "".join(f"<span>{w} " for w in WORDS) + "</p>"),
    }
    for path, html in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(html, encoding="utf-8")
    endpoint = "/w/api.php"
    wiki_html = (
        '<div class="mw-parser-output"><h2>Lore</h2>' + "<div>" * DEPTH + "deep lore" + "</div>" * DEPTH + "</div>"
    )
    routes = {
        api_url(
            endpoint, action="query", list="categorymembers", cmtitle="Category:Deep", cmlimit=500, cmnamespace=0
        ): {"body": json.dumps({"query": {"categorymembers": [{"pageid": 1, "title": "Deep page"}]}})},
        api_url(endpoint, action="parse", pageid=1, prop="text|revid", disableeditsection=1): {
            "body": json.dumps({"parse": {"title": "Deep page", "revid": 7, "text": wiki_html}})
        },
    }
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with FixtureServer(root) as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, site: FixtureServer) -> CrawlProject:
    project = CrawlProject(root=tmp_path / "project", db=tmp_path / "project" / "warehouse.duckdb")
    project.root.mkdir()
    project.configure(
        {
            "name": "nesting",
            "sources": {
                "coaching": {
                    "start_urls": [f"{site.url}/c/champions/deep/build", f"{site.url}/c/champions/spans/build"]
                },
                "wiki": {
                    "read": "html",
                    "start_urls": [f"{site.url}/w/api.php"],
                    "categories": [{"name": "Category:Deep", "entity_type": "lore"}],
                },
            },
        }
    )
    return project


def test_coaching_lands_every_word_of_deep_pages(project):
    done = project.run("crawl", "coaching")
    assert done.returncode == 0, done.stdout + done.stderr
    texts = dict(project.query("SELECT champion || ' > ' || section_path, text FROM raw.documents"))
    assert texts["Deep > Guide > Deep"] == "the deepest words"
    assert texts["Deep > Guide > After"] == "after the deep part"
    assert texts["Spans > Guide > Deep"].split() == WORDS


def test_wiki_lands_the_text_of_a_deep_page(project):
    done = project.run("crawl", "wiki")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.query("SELECT section_path, text FROM raw.documents") == [("Lore", "deep lore")]
