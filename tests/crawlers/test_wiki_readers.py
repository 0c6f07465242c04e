"""The bundled fixture wiki answers both readers alike: its rendered HTML (MediaWiki 1.41's wrapper) as crawled
with ``read: html`` lands what its wikitext reads as."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from crawlers.wikitext import page_sections
from tests.crawlers.project import CrawlProject, offline_sources


def _closed(text: str) -> str:
    """Blank lines closed up (wikitext keeps a paragraph break as one; the HTML reader a block as a line)."""
    return re.sub(r"\n\s*\n", "\n", text)


@pytest.fixture(scope="module")
def html_rows(tmp_path_factory):
    base = tmp_path_factory.mktemp("readers")
    shutil.copytree(SITES / "wiki", base / "sites" / "wiki")
    with FixtureServer(base / "sites") as server:
        project = CrawlProject.serving(base / "html", server.url)
        wiki = {**offline_sources(server.url)["wiki"], "read": "html"}
        project.configure({"name": "html", "sources": {"wiki": wiki}})
        done = project.run("crawl", "wiki")
        assert done.returncode == 0, done.stdout + done.stderr
        return project.query("SELECT title, section_path, text FROM raw.documents ORDER BY url")


def test_the_html_reader_lands_what_the_wikitext_says(html_rows):
    wikitext = set()
    for answer in sorted((SITES / "wiki" / "responses").glob("wikitext_*.json")):
        page = json.loads(answer.read_text(encoding="utf-8"))["parse"]
        wikitext |= {(page["title"], s.section_path, _closed(s.text)) for s in page_sections(page["wikitext"])}
    assert len(html_rows) == len(wikitext) == 33
    assert {(title, path, _closed(text)) for title, path, text in html_rows} == wikitext


def test_the_1_41_wrapper_is_read_by_heading(html_rows):
    assert [path for title, path, _ in html_rows if title == "Aatrox"] == [
        "",
        "Abilities",
        "Abilities > Infernal Chains",
        "Abilities > The Darkin Blade",
        "Lore",
        "Patch history",
        "Strategy",
        "Trivia",
    ]
