"""The coaching spider on the shapes the real sites use: mobalytics' Apollo cache and MOBAFire's HTML articles.

No page of either site is recorded in ../shared/data/real/; the fixture sites (crawlers/fixtures/sites/
mobalytics, mobafire) are hand-made in the documented shapes (see crawlers/README.md).
"""

from __future__ import annotations

import shutil

import pytest
from parsel import Selector

from crawlers import apollo
from crawlers.articles import extract_article
from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject

BUILD = SITES / "mobalytics" / "lol" / "champions" / "aatrox" / "build" / "index.html"
GUIDE = SITES / "mobafire" / "league-of-legends" / "build" / "14-3-aatrox-top-lane-in-depth-guide-612345" / "index.html"


def scripts(path) -> list[str]:
    return Selector(text=path.read_text(encoding="utf-8")).css("script:not([src])::text").getall()


def test_the_apollo_cache_is_found_inside_the_state_and_references_resolve():
    state = apollo.preloaded_state(scripts(BUILD))
    cache = apollo.cache_of(state)
    assert cache is state["lolState"]["apollo"]["dynamic"]["data"]
    keys = [key for key, _ in apollo.objects(cache)]
    assert "ROOT_QUERY" not in keys and "LolChampionBuild:aatrox-top-recommended" in keys
    root = apollo.resolve(cache["ROOT_QUERY"], cache)
    build = root["lol"]['championBuild({"role":"TOP","slug":"aatrox","type":"RECOMMENDED"})']
    assert build["champion"]["name"] == "Aatrox" and build["gameplan"]["__typename"] == "LolChampionGamePlan"
    # champion -> builds -> champion: the cycle stays a reference instead of recursing forever
    champion = apollo.resolve(cache["LolChampion:aatrox"], cache, ("LolChampion:aatrox",))
    assert champion["builds"][0]["champion"] == {"__ref": "LolChampion:aatrox"}


def test_a_truncated_state_is_named():
    cut = [s[:200] for s in scripts(BUILD) if "__PRELOADED_STATE__" in s]
    with pytest.raises(apollo.StateError, match=r"invalid JSON in window.__PRELOADED_STATE__"):
        apollo.preloaded_state(cut)


def test_trafilatura_finds_the_guide_article_and_its_headings():
    article = extract_article(GUIDE.read_text(encoding="utf-8"))
    assert article.title == "[14.3] Aatrox Top Lane In-Depth Guide" and article.author == "Vapora Dark"
    assert [s.headings for s in article.sections] == [
        ["Introduction"],
        ["Laning Phase", "Levels 1 to 3"],
        ["Laning Phase", "Trading Patterns"],
        ["Teamfighting"],
    ]
    text = "\n".join(s.text for s in article.sections)
    assert "I <3 this champ. Max Q > E > W." in text
    for chrome in ("Great guide man", "Advertisement", "Top rated guides", "Privacy", "By Vapora Dark", "Eclipse"):
        assert chrome not in text


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    sites = tmp_path_factory.mktemp("coaching") / "sites"
    shutil.copytree(SITES, sites)
    broken = sites / "mobalytics" / "lol" / "champions" / "broken" / "build"
    broken.mkdir(parents=True)
    page = BUILD.read_text(encoding="utf-8")
    cut = page.index("window.__PRELOADED_STATE__") + 400
    (broken / "index.html").write_text(page[:cut] + "</script></body></html>", encoding="utf-8")
    with FixtureServer(sites) as server:
        root = sites.parent / "project"
        root.mkdir()
        project = CrawlProject(root=root, db=root / "warehouse.duckdb")
        starts = ["/mobalytics/lol/champions", "/mobafire/league-of-legends/champion/aatrox"]
        starts.append("/mobalytics/lol/champions/broken/build")
        sources = {"coaching": {"start_urls": [server.url + path for path in starts]}}
        project.configure({"name": "coaching", "sources": sources})
        done = project.run("crawl", "coaching")
        yield project, server, done


def test_mobalytics_objects_with_text_or_counters_land_and_role_pages_are_followed(crawled):
    project, server, done = crawled
    rows = project.query(
        "SELECT champion, entity, entity_type, section_path, text FROM raw.documents"
        " WHERE url LIKE '%/mobalytics/%' ORDER BY section_path"
    )
    assert [r[:4] for r in rows] == [
        ("Aatrox", "Aatrox", "guide", "Guide > Jungle > Aatrox Jungle Build"),
        ("Aatrox", "Aatrox", "guide", "Guide > Overview"),
        ("Aatrox", "Aatrox", "guide", "Guide > Top > Aatrox Top Build"),
        ("Aatrox", "Darius", "matchup", "Matchups > Top > Darius"),  # counters only
        ("Aatrox", "Fiora", "matchup", "Matchups > Top > Fiora"),
    ]  # Garen's matchup (no text, no counters), the bare Fiora/Darius/Garen objects and the counters list: not
    text = {r[3]: r[4] for r in rows}
    assert "Gameplan > Early game: Trade with Q sweet spots" in text["Guide > Top > Aatrox Top Build"]
    assert "I <3 this champ. Max Q > E > W." in text["Guide > Top > Aatrox Top Build"]
    assert "Win rate: 52.1%\nGames: 100412" in text["Guide > Top > Aatrox Top Build"]  # wins / matchCount
    assert text["Matchups > Top > Fiora"].startswith("Aatrox against Fiora: Fiora's Riposte stops")
    fiora = text["Matchups > Top > Fiora"]
    assert "Win rate: 47.1%" in fiora and "Difficulty: very hard" in fiora
    assert not any("__ref" in t or "__typename" in t for t in text.values())
    # the jungle build is linked from the build page only, not from the index
    assert "/mobalytics/lol/champions/aatrox/build/jungle" in server.requests


def test_guide_articles_land_as_sections_without_site_chrome(crawled):
    project, _, _ = crawled
    rows = project.query(
        "SELECT title, section_path, author, text, html FROM raw.documents WHERE url LIKE '%/mobafire/%' ORDER BY url"
    )
    assert {r[1] for r in rows} == {
        "Guide > Introduction",
        "Guide > Laning Phase > Levels 1 to 3",
        "Guide > Laning Phase > Trading Patterns",
        "Guide > Teamfighting",
        "Guide > Clear",
    }
    assert all(r[4] is None for r in rows)  # plain text, not HTML
    assert {r[2] for r in rows} == {"Vapora Dark", "Jungle Jeff"}
    assert not any("Great guide man" in r[3] or "MOBAFire" in r[3] for r in rows)


def test_a_truncated_state_is_one_crawl_error_and_the_rest_lands(crawled):
    project, _, done = crawled
    assert done.returncode == 1  # a page failed
    errors = project.query("SELECT url, reason FROM raw.crawl_errors")
    assert len(errors) == 1 and errors[0][0].endswith("/broken/build")
    assert errors[0][1].startswith("invalid JSON in window.__PRELOADED_STATE__")
