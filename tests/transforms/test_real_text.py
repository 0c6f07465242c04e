"""The corpus from real text: the real wiki pages crawled from loopback, real forum strings, real quotes.

Each defect the issue found on real input is checked where it happened: the date that became
"a scaling amount of-13", the sentence ending "is 1:50." dropped as a stat line, "Dr. Mundo" split
in two, table cells glued, decoded forum text stripped as if it were HTML, and the patch history,
media and navigation sections that reached the corpus.
"""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import polars as pl
import pytest
import yaml

from crawlers.fixtures.real_wiki import build_site
from crawlers.fixtures.server import FixtureServer
from tests.crawlers.project import CrawlProject
from tests.crawlers.real_wiki import REAL_WIKITEXT, real_wikitext
from tests.transforms import raw_landing
from tests.transforms.project import write_config
from warehouse.sql_functions.text import sentences

REAL_FORUM = REAL_WIKITEXT.parents[1] / "forum" / "reddit"
REAL_QUOTES = REAL_WIKITEXT.parent / "quotes" / "8.9.1_all_quotes.json"
#: The issue's example of forum selftext a spider already decoded.
LOVE = "I <3 this champ. Max Q > E > W"
CATEGORIES = [
    {"name": "Category:Champions", "entity_type": "champion"},
    {"name": "Category:Items", "entity_type": "item"},
    {"name": "Category:Runes", "entity_type": "rune"},
]


def _release_date() -> str:
    """Aatrox's release date as Module:ChampionData records it (2013-06-13)."""
    text = (real_wikitext() / "Module:ChampionData-data.txt").read_text(encoding="utf-8")
    return re.search(r'\["date"\]\s*=\s*"([^"]+)"', text).group(1)


def _forum_comment() -> str:
    """A real reddit comment that ends in a decoded "<3" (reddit's JSON escapes it as &lt;3)."""
    import html

    bodies = [c for c in re.findall(r'"body": "((?:[^"\\]|\\.)*)"', (REAL_FORUM / "thread.json").read_text())]
    body = next(json.loads(f'"{b}"') for b in bodies if "kisses mom &lt;3" in b)
    return html.unescape(body)


def _extra_rows() -> list[dict]:
    rows = []

    def add(source, url, title, section, text, html=None, entity_type=None):
        rows.append(
            dict(
                document_version_id=url,
                source=source,
                url=url,
                champion=None,
                entity=title,
                entity_type=entity_type,
                title=title,
                section_path=section,
                text=text,
                html=html,
                language="en",
                revision_id=None,
                etag=None,
                content_hash=url,
                fetched_at=raw_landing.FETCHED,
                crawl_run_id="real-text",
            )
        )

    add("forum", "http://127.0.0.1/r/t/love", "Aatrox main", "", LOVE, "<p>I &lt;3 this champ.</p>", "thread")
    add("forum", "http://127.0.0.1/r/t/mom", "Grief", "", _forum_comment(), None, "comment")
    add(
        "wiki",
        "http://127.0.0.1/wiki/Aatrox#Release",
        "Aatrox",
        "Release",
        f"Aatrox was released on {_release_date()}.",
    )
    quotes = json.loads(REAL_QUOTES.read_text(encoding="utf-8"))["Dr. Mundo"]["quotes"]
    lines = [f"Dr. Mundo says {q.strip(chr(34))}" for group in quotes.values() for q in group.values()]
    add("wiki", "http://127.0.0.1/wiki/Dr._Mundo/LoL/Audio", "Dr. Mundo", "Quotes", "\n".join(lines[:6]))
    add(
        "wiki",
        "http://127.0.0.1/wiki/Infernal_Chains",
        "Infernal Chains",
        "Details",
        None,
        "<table><tr><th>Targeting input</th><td>Direction</td></tr><tr><th>Damage type</th><td>physical</td></tr>"
        "</table>",
    )
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory, repo_root):
    if not REAL_FORUM.is_dir() or not REAL_QUOTES.is_file():
        pytest.skip("../shared/data/real is not present")
    from warehouse.project import Project
    from warehouse.runner.build import build

    base = tmp_path_factory.mktemp("real-text")
    root = base / "project"
    root.mkdir()
    shutil.copy(repo_root / "riftlab.yaml", root / "riftlab.yaml")
    shutil.copytree(repo_root / "transforms", root / "transforms")
    write_config(root)
    build_site(real_wikitext(), base / "site" / "wiki")
    with FixtureServer(base / "site") as server:
        config = yaml.safe_load((root / "riftlab.yaml").read_text())
        config.setdefault("sources", {})["wiki"] = {
            "start_urls": [f"{server.url}/wiki/en-us/api.php"],
            "categories": CATEGORIES,
        }
        (root / "riftlab.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        project = Project.load(root)
        crawl = CrawlProject(root=root, db=project.db_path)
        done = crawl.run("crawl", "wiki")
        assert done.returncode == 0, done.stdout + done.stderr
    raw_landing.land(project)
    con = project.connect()
    try:
        con.register("real_rows", pl.DataFrame(_extra_rows(), infer_schema_length=None))
        con.execute("INSERT INTO raw.documents BY NAME SELECT * FROM real_rows")
    finally:
        con.close()
    results = build(project)
    failures = [f"{r.name}: {r.error}" for r in results if r.status != "success"]
    assert not failures, "\n".join(failures)
    con = duckdb.connect(str(project.db_path), read_only=True)
    yield con
    con.close()


def _corpus(con) -> str:
    return "\n".join(t for (t,) in con.execute("select text from main.corpus_documents").fetchall())


def test_patch_history_media_and_navigation_sections_never_reach_the_corpus(built):
    hits = dict(
        built.execute(
            "select matched_text, rule from main.corpus_rule_hits where action = 'drop_section'"
            " and matched_text in ('Infinity Edge > Patch history', 'Electrocute > Patch History',"
            " 'Electrocute > Media > Sound effects', 'World Atlas > Media > Sound effects', 'Aatrox > Champion skins')"
        ).fetchall()
    )
    assert hits == {
        "Infinity Edge > Patch history": "patch_history_section",
        "Electrocute > Patch History": "patch_history_section",
        "Electrocute > Media > Sound effects": "media_section",
        "World Atlas > Media > Sound effects": "media_section",
        "Aatrox > Champion skins": "navigation_section",
    }
    corpus = _corpus(built)
    for changelog in ("Total cost increased to", "Rune SFX", "Passive SFX", "only contains champion skins"):
        assert changelog not in corpus, changelog


def test_abilities_reach_the_corpus_as_mechanics_without_level_tables(built):
    rows = dict(
        built.execute(
            "select section_path, text from main.corpus_documents"
            " where title = 'Aatrox' and section_path like 'Abilities >%'"
        ).fetchall()
    )
    assert {"Abilities > P > Deathbringer Stance", "Abilities > Q > The Darkin Blade"} <= set(rows)
    darkin = rows["Abilities > Q > The Darkin Blade"]
    assert "Aatrox performs a strike with his greatsword for each of the three casts" in darkin
    assert "Targeting input: Direction" in darkin
    assert "Damage:" not in darkin and not re.search(r"\d+ / \d+", darkin)


def test_a_sentence_ending_in_a_time_is_kept(built):
    assert "The earliest game time that the first Quest charge can be granted is 1:50." in _corpus(built)


def test_a_date_is_not_masked_as_a_value_range(built):
    (sentence,) = built.execute(
        "select sentence from main.int_sentences_masked where original like 'Aatrox was released on%'"
    ).fetchone()
    assert sentence == f"Aatrox was released on {_release_date()}."


def test_decoded_forum_text_is_not_stripped_as_html(built):
    texts = [t for (t,) in built.execute("select text from main.int_documents where source = 'forum'").fetchall()]
    assert LOVE in texts
    assert any("kisses mom <3" in t for t in texts)


def test_table_cells_of_html_passages_stay_apart(built):
    (text,) = built.execute("select text from main.int_documents where title = 'Infernal Chains'").fetchone()
    assert text == "Targeting input | Direction\nDamage type | physical"


def test_dr_mundo_is_one_sentence(built):
    mundo = [
        s
        for (s,) in built.execute(
            "select sentence from main.int_sentences join main.int_documents using (document_id)"
            " where title = 'Dr. Mundo'"
        ).fetchall()
    ]
    assert mundo and all(s.startswith("Dr. Mundo says ") for s in mundo), mundo


def test_titles_and_initials_end_no_sentence():
    real = "I lost a pet rat once. Is that you, Mr. Tails?"  # a real quote (8.9.1_all_quotes.json)
    assert sentences(real) == ["I lost a pet rat once.", "Is that you, Mr. Tails?"]
    assert sentences("Recipe: B. F. Sword + Pickaxe. Aatrox casts Q. Then W.") == [
        "Recipe: B. F. Sword + Pickaxe.",
        "Aatrox casts Q.",
        "Then W.",
    ]
