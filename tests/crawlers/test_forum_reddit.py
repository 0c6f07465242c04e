"""The forum spider on real reddit responses, served on loopback in reddit's URL and response shapes.

The material is ../shared/data/real/forum/reddit/ (subreddit.json, thread.json, more.json); the
tests skip when it is absent.  Expected counts are computed from the material, not written down.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC

import pytest

from crawlers.reddit_auth import CLIENT_ID, CLIENT_SECRET
from tests.crawlers.project import REPO, CrawlProject
from tests.crawlers.reddit_site import DISALLOW_ALL, REAL, TOKEN, RedditSite, available

pytestmark = pytest.mark.skipif(not available(), reason="real reddit material absent (../shared/data/real/forum)")

THREAD = "/r/self/comments/1cebxh/my_wife_passed_away_eight_months_ago_yesterday_i/"
MORE_THREAD = "/r/politics/comments/hbo4a7/fauci_warns_of_antiscience_bias_being_a_problem/"
GONE = ("[deleted]", "[removed]")


def crawl(project: CrawlProject, forum: dict, env: dict | None = None, *args: str) -> subprocess.CompletedProcess:
    project.configure({"name": "forum-test", "crawl": {"log_level": "ERROR"}, "sources": {"forum": forum}})
    environment = {k: v for k, v in project.env().items() if k not in (CLIENT_ID, CLIENT_SECRET)}
    return subprocess.run(
        project.command("crawl", "forum", *args),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**environment, **(env or {})},
    )


def new_project(tmp_path, name: str) -> CrawlProject:
    root = tmp_path / name
    root.mkdir()
    return CrawlProject(root=root, db=root / "warehouse.duckdb")


def real_tree() -> tuple[set[str], set[str], int]:
    """Fullnames of thread.json's live comments, of those under a gone comment, and the stubs' count."""
    comments = json.loads((REAL / "thread.json").read_text())[1]["data"]["children"]
    live, under_gone, collapsed = set(), set(), 0
    stack = [(c, False) for c in comments]
    while stack:
        thing, below_gone = stack.pop()
        if thing["kind"] == "more":
            collapsed += thing["data"]["count"]
            continue
        data = thing["data"]
        gone = data["body"] in GONE
        if not gone:
            live.add(data["name"])
            if below_gone:
                under_gone.add(data["name"])
        if isinstance(data["replies"], dict):
            stack.extend((c, below_gone or gone) for c in data["replies"]["data"]["children"])
    return live, under_gone, collapsed


@pytest.fixture(scope="module")
def thread_crawl(tmp_path_factory):
    """thread.json's thread crawled from its permalink, with 3 requests of budget for its 125 `more` stubs."""
    tmp = tmp_path_factory.mktemp("thread")
    with RedditSite() as site:
        project = new_project(tmp, "p")
        done = crawl(project, {"flairs": [], "more_budget": 3}, None, "--url", f"{site.url}{THREAD}.json")
        return project, site, done


def test_every_live_comment_of_the_real_thread_lands_with_its_parent(thread_crawl):
    project, site, done = thread_crawl
    assert done.returncode == 0, done.stdout + done.stderr
    live, under_gone, _ = real_tree()
    assert len(under_gone) == 33  # the real thread: 33 live replies sit under [deleted]/[removed] comments
    rows = project.query(
        "SELECT entity, parent_entity, author, score, created_at, text, html FROM raw.documents"
        " WHERE entity_type = 'post'"
    )
    landed = {r[0]: r for r in rows}
    assert set(landed) == live  # all 194 live comments, none of the 5 gone bodies
    assert not any(r[5] in GONE for r in rows) and all(r[6] is None for r in rows)
    # the tree: every reply names its parent, and the replies under gone comments are there
    assert under_gone <= set(landed)
    assert all(landed[name][1].startswith(("t1_", "t3_1cebxh")) for name in landed)
    first = json.loads((REAL / "thread.json").read_text())[1]["data"]["children"][0]["data"]
    _, parent, author, score, created, _, _ = landed[first["name"]]
    assert (parent, author, score) == ("t3_1cebxh", first["author"], first["score"])
    assert created.replace(tzinfo=UTC).timestamp() == first["created_utc"]


def test_reddit_escapes_are_undone_and_text_lands_as_written(thread_crawl):
    project, _, _ = thread_crawl
    texts = [t for (t,) in project.query("SELECT text FROM raw.documents WHERE entity_type = 'post'")]
    assert any(t.startswith(">because <3") for t in texts)  # the JSON says "&gt;because &lt;3"
    assert not any("&gt;" in t or "&lt;" in t or "&amp;" in t for t in texts)
    post = project.query("SELECT title, text, author, link_url FROM raw.documents WHERE entity_type = 'thread'")
    assert len(post) == 1 and post[0][0].startswith("my wife passed away") and post[0][3] is None  # a self post
    assert "I'm losing my shit" in post[0][1]  # selftext, "I&#39;m" in selftext_html


def test_more_stubs_are_expanded_only_within_the_budget(thread_crawl):
    project, site, _ = thread_crawl
    continued = [p for p in site.paths(THREAD) if p != f"{THREAD}.json"]  # "continue this thread" pages
    expansions = site.paths("/api/morechildren") + continued
    assert len(expansions) == 3  # more_budget: 3, of 125 stubs
    run = project.query("SELECT status, errors FROM raw.crawl_runs")
    assert run == [("finished", 0)]


def test_a_long_thread_lands_whole_through_morechildren_and_parquet(tmp_path):
    """more.json's 50 real comments: 10 on the thread page, 40 behind a `more` stub, one request; landed as
    Parquet files and imported, the forum columns included."""
    things = json.loads((REAL / "more.json").read_text())["json"]["data"]["things"]
    comments = {t["data"]["name"]: t["data"] for t in things if t["kind"] == "t1"}
    with RedditSite() as site:
        project = new_project(tmp_path, "more")
        url = f"{site.url}{MORE_THREAD}.json"
        done = crawl(project, {"flairs": [], "more_budget": 1}, None, "--url", url, "--sink", "parquet")
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(site.paths("/api/morechildren")) == 1
    imported = project.run("import-landing")
    assert imported.returncode == 0, imported.stderr
    rows = {
        r[0]: r[1:]
        for r in project.query(
            "SELECT entity, parent_entity, author, score, created_at FROM raw.documents WHERE entity_type = 'post'"
        )
    }
    live = {name for name, c in comments.items() if c["body"] not in GONE}
    assert set(rows) == live and len(live) > 40
    for name, (parent, author, score, created) in rows.items():
        real = comments[name]
        assert parent == real["parent_id"]  # the tree, from the flat answer
        assert (author, score) == (None if real["author"] == "[deleted]" else real["author"], real["score"])
        assert created.replace(tzinfo=UTC).timestamp() == real["created_utc"]  # naive UTC


def test_oauth_reads_the_api_with_a_token_from_the_token_endpoint(tmp_path):
    """Credentials in the environment: a token from the loopback endpoint, then bearer requests; robots.txt
    (reddit's, disallowing all) does not govern the API, and a site blocking anonymous clients serves it."""
    with RedditSite(robots=DISALLOW_ALL, block=True, client_id="cid", client_secret="csecret") as site:
        project = new_project(tmp_path, "oauth")
        forum = {
            "start_urls": [f"{site.url}/r/netsec/new.json?limit=100"],
            "flairs": [],
            "comments": False,
            "max_pages": 2,
            "token_url": f"{site.url}/api/v1/access_token",
            "api_base": site.url,
        }
        done = crawl(project, forum, {CLIENT_ID: "cid", CLIENT_SECRET: "csecret"})
        assert done.returncode == 0, done.stdout + done.stderr
        gets = [(path, headers) for method, path, headers in site.requests if method == "GET"]
        token_posts = [r for r in site.requests if r[0] == "POST"]
    assert len(token_posts) == 1
    api = [(p, h) for p, h in gets if p.startswith("/r/netsec/new")]
    assert len(api) == 2 and all(h.get("Authorization") == f"bearer {TOKEN}" for _, h in api)
    assert all("raw_json=1" in p and ".json" not in p for p, _ in api)
    assert all(h["User-Agent"].startswith("python:riftlab:") for _, h in api)  # reddit's User-Agent rule
    listing = json.loads((REAL / "subreddit.json").read_text())["data"]["children"]
    rows = project.query(
        "SELECT entity, link_url, score, author, created_at, url FROM raw.documents WHERE entity_type = 'thread'"
    )
    assert len(rows) == len(listing) == 27
    by = {r[0]: r for r in rows}
    for child in listing:
        post = child["data"]
        entity, link_url, score, author, created, url = by[post["name"]]
        assert (score, author) == (post["score"], post["author"])
        assert link_url == (None if post["is_self"] else post["url"])
        assert url == site.url + post["permalink"]  # the permalink on the listing's site, not an API URL
    assert sum(r[1] is not None for r in rows) == sum(not c["data"]["is_self"] for c in listing) == 25


def test_reddits_robots_txt_fails_the_crawl_naming_the_oauth_variables(tmp_path):
    with RedditSite(robots=DISALLOW_ALL) as site:
        done = crawl(new_project(tmp_path, "robots"), {"start_urls": [f"{site.url}/r/netsec/new.json"]})
        assert site.paths("/r/") == []
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("forum: nothing crawled: robots.txt refused all 1 request(s).")
    assert CLIENT_ID in line and CLIENT_SECRET in line


def test_a_block_page_or_nothing_to_keep_fails_the_crawl_with_its_line(tmp_path):
    """Two crawls in one process (crawlers.runner): reddit's 403 block page; and the real listing with only
    Guide threads kept (its flairs are 'discussion' and 'pdf'): each run fails with its line as the error."""
    with RedditSite(block=True) as blocking, RedditSite() as site:
        project = new_project(tmp_path, "nothing")
        project.configure({"name": "nothing", "crawl": {"log_level": "ERROR"}})
        script = (
            "import json, sys\n"
            "from crawlers.runner import CrawlSpec, run_crawls\n"
            "from warehouse.project import Project\n"
            "project = Project.load(sys.argv[1], db_path=sys.argv[2])\n"
            "specs = [CrawlSpec('forum', [sys.argv[3]]),"
            " CrawlSpec('forum', [sys.argv[4]], {'flairs': ['Guide'], 'max_pages': 1})]\n"
            "print(json.dumps([r.nothing for r in run_crawls(project, specs)]))\n"
        )
        environment = {k: v for k, v in project.env().items() if k not in (CLIENT_ID, CLIENT_SECRET)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(project.root), str(project.db)]
            + [f"{blocking.url}/r/netsec/new.json", f"{site.url}/r/netsec/new.json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env=environment,
        )
    assert done.returncode == 0, done.stderr
    blocked, empty = json.loads(done.stdout.strip().splitlines()[-1])
    assert blocked.startswith("forum: nothing crawled: blocked, 1 request(s) answered HTTP 401/403/429")
    assert CLIENT_ID in blocked and CLIENT_SECRET in blocked
    assert empty == (
        "forum: nothing crawled: the crawl found nothing to land. The listing held no thread with an allowed "
        "flair: check sources.forum.flairs ([] keeps all) and the start URLs."
    )
    runs = project.query("SELECT status, error FROM raw.crawl_runs ORDER BY started_at")
    assert runs == [("failed", blocked), ("failed", empty)]


def test_refused_or_half_set_credentials_say_so(tmp_path):
    with RedditSite(client_id="cid", client_secret="right") as site:
        forum = {"start_urls": [f"{site.url}/r/netsec/new.json"], "token_url": f"{site.url}/api/v1/access_token"}
        wrong = crawl(new_project(tmp_path, "wrong"), forum, {CLIENT_ID: "cid", CLIENT_SECRET: "wrong"})
        half = crawl(new_project(tmp_path, "half"), forum, {CLIENT_ID: "cid"})
    assert wrong.returncode == 1
    assert (
        wrong.stderr.strip()
        .splitlines()[-1]
        .startswith(f"forum: nothing crawled: reddit's token endpoint {site.url}/api/v1/access_token refused")
    )
    assert half.returncode != 0
    assert half.stderr.strip().splitlines()[-1] == (
        f"error: {CLIENT_ID} is set but {CLIENT_SECRET} is not: set both (the id and secret of a reddit script "
        "app, https://www.reddit.com/prefs/apps) or neither"
    )


def test_forum_text_survives_the_staging_model_as_written(thread_crawl):
    """Decoded text is not HTML: stg_documents keeps "<3" and ">" (html_to_text would eat "<3 ... >" as a tag)."""
    from warehouse.project import Project
    from warehouse.runner.build import build

    project, _, _ = thread_crawl
    if not (project.root / "transforms").exists():
        (project.root / "transforms").symlink_to(REPO / "transforms")
    loaded = Project.load(project.root, db_path=project.db)
    con = loaded.connect()
    try:  # the issue's comment, as a new version of a landed one (the real thread has none with "<...>")
        con.execute(
            "INSERT INTO raw.documents SELECT * REPLACE ('I <3 this champ. Max Q > E > W' AS text,"
            " md5('issue') AS document_version_id, fetched_at + INTERVAL 1 SECOND AS fetched_at)"
            " FROM raw.documents WHERE entity = 't1_c9ftsjg'"
        )
    finally:
        con.close()
    results = build(loaded, ("stg_documents",))
    assert [r.status for r in results] == ["success"], [r.error for r in results]
    texts = [t for (t,) in project.query("SELECT text FROM stg_documents WHERE entity_type = 'post'")]
    assert len(texts) == len(real_tree()[0])
    assert "I <3 this champ. Max Q > E > W" in texts
    quote = next(t for t in texts if t.startswith(">because <3"))
    assert quote.startswith(">because <3\nWell said. Manly tears falling.")
