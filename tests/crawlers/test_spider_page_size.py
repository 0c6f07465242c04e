"""Pages are capped at crawl.max_page_bytes; the cut is recorded (issue 14, weak spot: a 50 MB page landed uncapped)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from crawlers.page_size import cut_text
from crawlers.spiders.wiki import api_url
from tests.crawlers.project import CrawlProject

CAP = 4096
#: Non-ASCII words, so a cut can fall inside a character.
WORDS = [f"wörd{i}" for i in range(250_000)]


def stat(log: str, name: str) -> int:
    """A stat from the stats Scrapy dumps at the end of a crawl logged at INFO."""
    match = re.search(rf"'{re.escape(name)}': (\d+)", log)
    assert match, f"no stat {name} in the log"
    return int(match.group(1))


@pytest.fixture
def site(tmp_path: Path):
    """A 2.9 MB coaching page, a 30 kB wiki page, the fixture champions.json (96 kB of JSON), a 12 kB blurb."""
    root = tmp_path / "site"
    page = root / "c/champions/big/build/index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><body><article data-champion="Big"><h1>Big guide</h1><h2>Overview</h2>'
        f"<p>{' '.join(WORDS)}</p></article></body></html>",
        encoding="utf-8",
    )
    shutil.copytree(SITES / "meraki", root / "meraki")
    endpoint = "/w/api.php"
    wiki_html = (
        '<div class="mw-parser-output">'
        + "".join(f"<h2>Part {i}</h2><p>{'lore ' * 200}</p>" for i in range(30))
        + "</div>"
    )
    routes = {
        api_url(endpoint, action="query", list="categorymembers", cmtitle="Category:Big", cmlimit=500, cmnamespace=0): {
            "body": json.dumps({"query": {"categorymembers": [{"pageid": 1, "title": "Big page"}]}})
        },
        api_url(endpoint, action="parse", pageid=1, prop="text|revid", disableeditsection=1): {
            "body": json.dumps({"parse": {"title": "Big page", "revid": 7, "text": wiki_html}})
        },
        "/dd/champion.json": {
            "body": json.dumps(
                {
                    "version": "1",
                    "data": {
                        "Big": {
                            "id": "Big",
                            "name": "Big",
                            "title": "the Large",
                            "tags": ["Tank"],
                            "blurb": "blurb " * 2000,
                        }
                    },
                }
            )
        },
    }
    (root / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with FixtureServer(root) as running:
        running.page_bytes = page.stat().st_size
        running.wiki_bytes = len(wiki_html.encode("utf-8"))
        yield running


@pytest.fixture
def project(tmp_path: Path, site: FixtureServer) -> CrawlProject:
    project = CrawlProject(root=tmp_path / "project", db=tmp_path / "project" / "warehouse.duckdb")
    project.root.mkdir()
    project.configure(
        {
            "name": "page-size",
            "crawl": {"max_page_bytes": CAP, "log_level": "INFO"},
            "sources": {
                "coaching": {"start_urls": [f"{site.url}/c/champions/big/build"]},
                "wiki": {
                    "read": "html",
                    "start_urls": [f"{site.url}/w/api.php"],
                    "categories": [{"name": "Category:Big", "entity_type": "lore"}],
                },
                "meraki": {"start_urls": [f"{site.url}/meraki/champions.json"]},
                "ddragon": {"start_urls": [f"{site.url}/dd/champion.json"]},
            },
        }
    )
    return project


def test_a_page_over_the_cap_lands_cut_with_the_cut_recorded_and_is_not_read_whole(project, site):
    done = project.run("crawl", "coaching")

    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    text, html, cut_from = project.query("SELECT text, html, truncated_from_bytes FROM raw.documents")[0]
    assert len(html.encode("utf-8")) <= CAP and len(text.encode("utf-8")) <= CAP
    landed = text.split()
    assert landed[:-1] == WORDS[: len(landed) - 1] and WORDS[len(landed) - 1].startswith(landed[-1])  # a prefix
    assert len(landed) > 100
    assert cut_from == site.page_bytes
    assert stat(done.stderr, "riftlab/pages_cut") == 1 and stat(done.stderr, "riftlab/documents_truncated") == 1
    # the download stopped soon after the cap: the 2.5 MB page never arrived whole
    assert stat(done.stderr, "downloader/response_bytes") < site.page_bytes / 10


def test_json_sources_are_read_whole_and_their_documents_capped(project, site):
    done = project.run("crawl", "wiki", "meraki", "ddragon")

    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    # champions.json (96 kB) is not cut (a cut would not parse): every champion lands, no document is cut
    assert project.scalar("SELECT count(DISTINCT champion) FROM raw.facts WHERE source = 'meraki'") == 16
    assert (
        project.scalar(
            "SELECT count(*) FROM raw.documents WHERE source = 'meraki' AND truncated_from_bytes IS NOT NULL"
        )
        == 0
    )
    # the wiki page's HTML is cut before it is split: its first parts land, each recording the page's size
    rows = project.query(
        "SELECT section_path, html, truncated_from_bytes FROM raw.documents WHERE source = 'wiki' ORDER BY url"
    )
    assert rows and all(cut_from == site.wiki_bytes for _, _, cut_from in rows)
    assert sum(len(html.encode("utf-8")) for _, html, _ in rows) <= CAP
    assert rows[0][0] == "Part 0" and "Part 29" not in {section for section, _, _ in rows}
    # a text field over the cap (a Data Dragon blurb) is cut where it lands
    text, cut_from = project.query("SELECT text, truncated_from_bytes FROM raw.documents WHERE source = 'ddragon'")[0]
    assert cut_from == len("blurb " * 2000) and len(text) == CAP and ("blurb " * 2000).startswith(text)


def test_a_cut_falls_on_a_character_boundary():
    text = "é" * 3000  # 6000 bytes
    assert cut_text(text, 4095) == ("é" * 2047, 6000)
    assert cut_text(text, 6000) == (text, None)
