"""Every spider lands what its source says, in the raw.* contract, from the loopback fixture sites."""

from __future__ import annotations

import json
import shutil

import pytest

from crawlers.fixtures import SITES
from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject, offline_sources


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    target = tmp_path_factory.mktemp("spiders") / "sites"
    shutil.copytree(SITES, target)
    return target


@pytest.fixture(scope="module")
def server(sites):
    with FixtureServer(sites) as running:
        yield running


@pytest.fixture(scope="module")
def crawled(server, sites):
    """One crawl of every source, shared by this module's tests (they only read)."""
    root = sites.parent / "project"
    root.mkdir()
    project = CrawlProject(root=root, db=root / "warehouse.duckdb")
    project.configure({"name": "spiders", "sources": offline_sources(server.url)})
    done = project.run("crawl", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


def test_every_crawl_is_logged_as_finished_with_counts(crawled):
    runs = crawled.query(
        "SELECT spider, status, items, landed, errors, finished_at IS NOT NULL FROM raw.crawl_runs ORDER BY spider"
    )
    assert [r[0] for r in runs] == ["coaching", "ddragon", "forum", "meraki", "wiki"]
    assert all(r[1] == "finished" and r[2] > 0 and r[3] > 0 and r[4] == 0 and r[5] for r in runs)
    # every yielded document is in crawl_seen, once per run
    seen = crawled.scalar("SELECT count(*) FROM raw.crawl_seen")
    assert seen == crawled.scalar("SELECT count(*) FROM raw.documents")


def test_meraki_facts_and_ability_documents(crawled, sites):
    source = json.loads((sites / "meraki" / "champions.json").read_text())
    positions = dict(
        crawled.query(
            "SELECT champion, list(value ORDER BY value) FROM raw.facts"
            " WHERE source = 'meraki' AND fact_type = 'position' GROUP BY champion"
        )
    )
    assert positions == {key: sorted(c["positions"]) for key, c in source.items()}
    subclasses = {
        v
        for (v,) in crawled.query("SELECT DISTINCT value FROM raw.facts WHERE source='meraki' AND fact_type='subclass'")
    }
    assert len(subclasses) == 13
    assert crawled.scalar("SELECT value FROM raw.facts WHERE champion='MonkeyKing' AND fact_type='name'") == "Wukong"

    abilities = sum(len(entries) for c in source.values() for entries in c["abilities"].values())
    assert (
        crawled.scalar("SELECT count(*) FROM raw.documents WHERE source='meraki' AND entity_type='ability'")
        == abilities
    )
    assert crawled.scalar("SELECT count(*) FROM raw.documents WHERE source='meraki' AND entity_type='lore'") == len(
        source
    )
    section, text, html, champion = crawled.query(
        "SELECT section_path, text, html, champion FROM raw.documents WHERE url LIKE '%#Aatrox/Q'"
    )[0]
    assert section == "Abilities > Q > The Darkin Blade" and champion == "Aatrox"
    assert "Cooldown: 14 / 12 / 10 / 8 / 6" in text and "(+ 60 - 90% AD)" in text
    assert "ability-header" in html and "<p" not in text
    # Lee Sin's second Q (Resonating Strike) is its own document
    assert (
        crawled.scalar("SELECT section_path FROM raw.documents WHERE url LIKE '%#LeeSin/Q/2'")
        == "Abilities > Q > Resonating Strike"
    )


def test_ddragon_tags_and_blurbs(crawled):
    tags = crawled.query(
        "SELECT list(value ORDER BY value) FROM raw.facts"
        " WHERE source='ddragon' AND champion='Aatrox' AND fact_type='tag'"
    )
    assert tags == [(["Fighter", "Tank"],)]
    assert crawled.scalar("SELECT count(*) FROM raw.documents WHERE source='ddragon' AND entity_type='champion'") == 16
    assert crawled.scalar("SELECT DISTINCT revision_id FROM raw.documents WHERE source='ddragon'") == "14.3.1"


def test_wiki_passages_by_heading_path_with_revision(crawled):
    rows = crawled.query(
        "SELECT section_path, url, revision_id, entity_type, text FROM raw.documents"
        " WHERE source='wiki' AND entity='Aatrox' ORDER BY url"
    )
    paths = [r[0] for r in rows]
    assert paths == [
        "",
        "Abilities",
        "Abilities > Infernal Chains",
        "Abilities > The Darkin Blade",
        "Lore",
        "Patch history",
        "Strategy",
        "Trivia",
    ]
    assert all(r[2] == "1203345" and r[3] == "champion" for r in rows)
    assert rows[3][1].endswith("/wiki/en-us/Aatrox#Abilities/The_Darkin_Blade")
    assert not any("edit" in r[4].split() or "navigation box" in r[4] for r in rows)
    entities = dict(
        crawled.query("SELECT entity, any_value(entity_type) FROM raw.documents WHERE source='wiki' GROUP BY entity")
    )
    # the champions category spans two API responses (continue): the last pages are there too
    assert {"Wukong", "Lee Sin"} <= set(entities)
    assert (
        entities["Infinity Edge"] == "item"
        and entities["Conqueror"] == "rune"
        and entities["Baron Nashor"] == "monster"
    )


def test_coaching_state_fallbacks_and_robots(crawled, server):
    rows = crawled.query(
        "SELECT champion, entity_type, section_path FROM raw.documents WHERE source='coaching' ORDER BY url"
    )
    by = {}
    for champion, kind, _ in rows:
        by[(champion, kind)] = by.get((champion, kind), 0) + 1
    assert by == {
        ("Aatrox", "guide"): 3,
        ("Aatrox", "matchup"): 3,
        ("Ahri", "guide"): 2,  # __NEXT_DATA__ / __STATE__
        ("Thresh", "guide"): 2,
        ("Jinx", "matchup"): 2,
    }  # HTML fallback, matchups
    assert ("Aatrox", "matchup", "Matchups > Top > Wukong") in rows
    assert not any("/zed/" in path for path in server.requests), "robots.txt disallows /coaching/lol/champions/zed/"


def test_forum_keeps_allowed_flairs_across_pages_with_comments(crawled):
    threads = {
        t for (t,) in crawled.query("SELECT title FROM raw.documents WHERE source='forum' AND entity_type='thread'")
    }
    assert "Braum vs Thresh in the current meta" in threads  # page 2 (after=...)
    assert "Insane Thresh hook from fog" not in threads and "Malphite one-shot meme" not in threads  # Clip, Meme
    posts = {
        e for (e,) in crawled.query("SELECT entity FROM raw.documents WHERE source='forum' AND entity_type='post'")
    }
    assert posts == {"t1_k01", "t1_k02", "t1_k04", "t1_k05", "t1_k06"}  # nested reply kept, [deleted] dropped
