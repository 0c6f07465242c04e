"""Spiders stay on the host:port of their start URLs (issue 14, row 5): links and redirects elsewhere are skipped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawlers.fixtures.server import FixtureServer
from crawlers.offsite import site_of
from tests.crawlers.project import CrawlProject

GUIDE = """<!DOCTYPE html><html><body><article data-champion="{champion}" data-name="{champion}">
<h1>{champion} guide</h1><h2>Overview</h2><p>{champion} text.</p></article></body></html>"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def other_site(tmp_path: Path):
    """Another server on 127.0.0.1 (another port) with guide pages a hostile page points at."""
    root = tmp_path / "other"
    write(root / "c/champions/evil/build/index.html", GUIDE.format(champion="Evil"))
    write(root / "c/champions/evil/counters/index.html", GUIDE.format(champion="Evil"))
    with FixtureServer(root) as running:
        yield running


@pytest.fixture
def start_site(tmp_path: Path, other_site: FixtureServer):
    """The start site: an index linking to its own guide, to the other server, and to a redirect there."""
    root = tmp_path / "start"
    write(
        root / "c/champions/index.html",
        (
            '<html><body><a href="champions/thresh/build">Thresh</a>'
            f'<a href="{other_site.url}/c/champions/evil/build">Evil</a>'
            '<a href="champions/moved/build">Moved</a></body></html>'
        ),
    )
    write(root / "c/champions/thresh/build/index.html", GUIDE.format(champion="Thresh"))
    write(
        root / "routes.json",
        json.dumps({"/c/champions/moved/build": {"redirect": f"{other_site.url}/c/champions/evil/counters"}}),
    )
    with FixtureServer(root) as running:
        yield running


def test_coaching_fetches_nothing_from_another_port_of_the_same_host(tmp_path, start_site, other_site):
    project = CrawlProject(root=tmp_path / "project", db=tmp_path / "project" / "warehouse.duckdb")
    project.root.mkdir()
    project.configure(
        {
            "name": "offsite",
            "crawl": {"log_level": "INFO"},
            "sources": {"coaching": {"start_urls": [f"{start_site.url}/c/champions"]}},
        }
    )

    done = project.run("crawl", "coaching")

    assert done.returncode == 0, done.stdout + done.stderr
    assert other_site.requests == [], "the other host:port must not be fetched at all"
    assert project.query("SELECT DISTINCT champion FROM raw.documents") == [("Thresh",)]
    assert project.scalar("SELECT count(*) FROM raw.crawl_errors") == 0  # a skipped link is policy, not a failure
    # both ways off the site (a link and a redirect) are counted, and the other site is named once in the log
    assert re.search(r"'riftlab/offsite_skipped': 2\b", done.stderr), done.stderr[-3000:]
    assert done.stderr.count("skipping off-site request") == 1


@pytest.mark.parametrize(
    "one, other, same",
    [
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/a", False),  # same host, another port: another site
        ("http://example.org/a", "https://example.org:443/b", True),  # default ports are the same site
        ("http://example.org:80/a", "http://EXAMPLE.org/b", True),
        ("http://example.org/a", "http://www.example.org/a", False),  # subdomains are other sites
        ("file:///srv/snapshot/a.html", "http://127.0.0.1/a", False),  # a file:// crawl stays on disk
    ],
)
def test_a_site_is_host_and_port(one, other, same):
    assert (site_of(one) == site_of(other)) is same
