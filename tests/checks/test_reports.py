"""Drift between two crawls and the corpus report, on hand-made crawl and chunk tables."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from click.testing import CliRunner

from riftlab.commands.reports import corpus, drift
from tests.browser import CHROMIUM, offline_chromium
from warehouse.reports.corpus import compute_corpus
from warehouse.reports.drift import DriftError, compute_drift

T0 = dt.datetime(2026, 11, 1, 12, 0)

# (run, source, url, content hash, text): run r1 then run r2
SEEN = [
    ("r1", "wiki", "https://wiki.test/Ahri", "a1", "Ahri throws her orb and pulls it back."),
    ("r1", "wiki", "https://wiki.test/Lux", "l1", "Lux binds enemies with a light orb."),
    ("r1", "wiki", "https://wiki.test/Zed", "z1", "Zed sends his shadow forward and strikes."),
    ("r1", "forum", "https://forum.test/t/1", "f1", "How do I lane against Zed as Ahri?"),
    ("r2", "wiki", "https://wiki.test/Ahri", "a1", "Ahri throws her orb and pulls it back."),
    ("r2", "wiki", "https://wiki.test/Lux", "l2", "Lux binds enemies with a light orb and fires a laser."),
    ("r2", "wiki", "https://wiki.test/Jinx", "j1", "Jinx swaps between minigun and rockets."),
    ("r2", "wiki", "https://wiki.test/Vi", "v1", "Vi charges a punch that dashes forward."),
    ("r2", "forum", "https://forum.test/t/1", "f1", "How do I lane against Zed as Ahri?"),
]


@pytest.fixture
def crawled(checks_project):
    con = checks_project.connect()
    try:
        con.executemany(
            "INSERT INTO raw.crawl_runs (crawl_run_id, spider, started_at, finished_at, status) "
            "VALUES (?, ?, ?, ?, 'finished')",
            [("r1", "wiki", T0, T0), ("r2", "wiki", T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=1))],
        )
        con.executemany("INSERT INTO raw.crawl_seen VALUES (?, ?, ?, ?)", [row[:4] for row in SEEN])
        landed = {(s, u, h): (run, text) for run, s, u, h, text in reversed(SEEN)}  # first landing of each version
        con.executemany(
            "INSERT INTO raw.documents "
            "(document_version_id, source, url, content_hash, text, fetched_at, crawl_run_id) "
            "VALUES (md5(? || ? || ?), ?, ?, ?, ?, ?, ?)",
            [(s, u, h, s, u, h, text, T0, run) for (s, u, h), (run, text) in landed.items()],
        )
    finally:
        con.close()
    return checks_project


def test_drift_counts_new_changed_removed_per_source(crawled):
    con = crawled.connect(read_only=True)
    try:
        report = compute_drift(con, ["r1"], ["r2"])
    finally:
        con.close()
    by_source = {s.source: s for s in report.sources}
    wiki, forum = by_source["wiki"], by_source["forum"]
    assert (wiki.new, wiki.changed, wiki.removed, wiki.unchanged) == (2, 1, 1, 1)
    assert (forum.new, forum.changed, forum.removed, forum.unchanged) == (0, 0, 0, 1)
    assert (wiki.documents_from, wiki.documents_to) == (3, 4)
    assert (wiki.tokens_from, wiki.tokens_to) == (8 + 7 + 7, 8 + 11 + 6 + 7)  # words
    assert forum.psi == pytest.approx(0.0, abs=1e-12)
    assert wiki.psi > 0.25 and wiki.shift == "major"
    assert {w["word"] for w in wiki.top_shifts[:6]} & {"zed", "jinx", "vi", "laser"}


def test_drift_command_writes_html_with_the_counts(crawled):
    result = CliRunner().invoke(drift, ["--project-dir", str(crawled.root), "--db", str(crawled.db_path)])
    assert result.exit_code == 0, result.output
    assert "wiki" in result.output and "HTML:" in result.output
    page = crawled.reports_dir / "drift-r1-to-r2.html"
    html = page.read_text(encoding="utf-8")
    row = re.search(r'<tr data-source="wiki">(.*?)</tr>', html, re.S).group(1)
    cells = dict(re.findall(r'<td class="num (new|changed|removed|unchanged)">(\d+)</td>', row))
    assert cells == {"new": "2", "changed": "1", "removed": "1", "unchanged": "1"}
    assert "2 new, 1 changed, 1 removed, 2 unchanged documents" in re.sub(r"\s+", " ", html)


def test_drift_with_an_unknown_run_names_it(crawled):
    con = crawled.connect(read_only=True)
    try:
        with pytest.raises(DriftError, match=r"--to: no crawl r9 in raw.crawl_seen; recent runs: r2, r1"):
            compute_drift(con, ["r1"], ["r9"])
    finally:
        con.close()


def test_corpus_report_totals_by_source_split_and_champion(checks_project):
    con = checks_project.connect(read_only=True)
    try:
        report = compute_corpus(con)
    finally:
        con.close()
    assert report.headline() == "1,750 tokens: 1,400 train / 350 validation"
    assert report.totals["documents"] == 10 and report.totals["chunks"] == 20
    rows = {(r["source"], r["split"]): r["tokens"] for r in report.by_source}
    assert rows == {
        ("wiki", "train"): 1400,
        ("wiki", "validation"): 350,
        ("wiki", "all"): 1750,
        ("all sources", "all"): 1750,
    }
    assert report.by_champion[0]["tokens"] == 200 and report.by_champion[-1] == {
        "champion": "MonkeyKing",
        "split": "validation",
        "tokens": 110,
        "documents": 1,
        "chunks": 2,
    }

    result = CliRunner().invoke(
        corpus, ["--project-dir", str(checks_project.root), "--db", str(checks_project.db_path)]
    )
    assert result.exit_code == 0, result.output
    assert "1,750 tokens: 1,400 train / 350 validation" in result.output
    html = (checks_project.reports_dir / "corpus.html").read_text(encoding="utf-8")
    assert '<p class="headline" id="headline">1,750 tokens: 1,400 train / 350 validation</p>' in html
    champion_table = html.split('id="by-champion"')[1]
    assert champion_table.count("<tr><td>") == 10  # one row per champion


def test_a_report_page_that_cannot_be_written_leaves_the_previous_page_whole(checks_project):
    """The page is written beside the old one and renamed over it: a failed write (a 2 kB cap) changes nothing."""
    import os
    import resource
    import sys

    args = ["--project-dir", str(checks_project.root), "--db", str(checks_project.db_path)]
    assert CliRunner().invoke(corpus, args).exit_code == 0
    page = checks_project.reports_dir / "corpus.html"
    before = page.read_bytes()
    assert len(before) > 2048

    def cap_file_size():  # Python ignores SIGXFSZ: a write past the cap fails with 'File too large'
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    result = subprocess.run(
        [sys.executable, "-m", "riftlab.cli", "report", "corpus", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=cap_file_size,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write the report corpus.html to {page} (File too large); the previous version stays: "
        "free disk space (or fix the folder's permissions) and run the command again"
    ]
    assert page.read_bytes() == before
    assert [p.name for p in checks_project.reports_dir.iterdir()] == ["corpus.html"]


def _cells(html: str, asset: str) -> dict[str, str]:
    row = re.search(rf'<tr data-asset="{re.escape(asset)}">(.*?)</tr>', html, re.S).group(1)
    return {
        cls.split()[1]: " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for cls, text in re.findall(r'<td class="(num (?:latest|previous)[^"]*)">(.*?)</td>', row, re.S)
    }


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install -y chromium)")
def test_the_quality_report_shows_each_table_and_its_previous_run_offline(checks_project, execute, tmp_path):
    """Two checks, the second after breaking one triplet: offline, the report shows every table (its data asset)
    with the latest and the previous run, the change, and the grid of results run by run."""
    from warehouse.checks.checker import run_checks
    from warehouse.checks.suites import load_suites

    (checks_project.root / "riftlab.yaml").write_text("name: riftlab\nchecks:\n  data_docs: false\n")
    project = type(checks_project).load(checks_project.root, checks_project.db_path)
    first = run_checks(project)
    execute("UPDATE main.triplets SET negative = 'Garen', negative_champion = 'Garen' WHERE triplet_id = 't1'")
    second = run_checks(project)
    assert not first.failures and [o.expectation.name for o in second.failures] == ["triplets_obey_their_rule"]

    page = second.summary_page
    assert page == project.reports_dir / "checks.html"
    assert not re.search(r'(src|href)="(https?:)?//', page.read_text(encoding="utf-8"))
    shown = offline_chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = shown.stdout

    suites = {s.table: s for s in load_suites(project.transforms_dir, project.root)}
    for table, suite in suites.items():
        total = len(suite.expectations)
        latest = total - (table == "triplets")
        assert _cells(dom, f"main.{table}") == {"latest": f"{latest} / {total}", "previous": f"{total} / {total}"}
        assert f'<section class="asset" id="asset-{table}" data-asset="main.{table}">' in dom
    changes = re.findall(r'<td class="change [^"]*">([^<]*)</td>', dom)
    assert sorted(changes) == ["no change"] * (len(suites) - 1) + ["worse: 1 more failing"]
    # the triplets grid: the broken rule first, FAIL in the latest run and pass in the previous one
    grid = re.search(r'id="asset-triplets".*?</section>', dom, re.S).group(0)
    first_row = re.search(r'<tr data-expectation="([^"]+)">(.*?)</tr>', grid, re.S)
    assert first_row.group(1) == "triplets_obey_their_rule"
    assert re.findall(r">(pass|FAIL)<", first_row.group(2)) == ["FAIL", "pass"]
    assert "triplets.triplets_obey_their_rule: failing rows (sample)" in dom

    shot = tmp_path / "checks.png"
    taken = offline_chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2400")
    assert taken.returncode == 0 and shot.stat().st_size > 40_000  # a page of tables, not a blank one

    # the same history, rebuilt from meta.check_results alone
    from riftlab.commands.reports import report_checks

    rebuilt = CliRunner().invoke(report_checks, ["--project-dir", str(project.root), "--db", str(project.db_path)])
    assert rebuilt.exit_code == 0, rebuilt.output
    html = page.read_text(encoding="utf-8")
    total = sum(len(s.expectations) for s in suites.values())
    assert f"{len(suites)} tables checked; latest runs: {total - 1} of {total} expectations passed" in " ".join(
        html.split()
    )
    assert _cells(html, "main.triplets") == _cells(dom, "main.triplets")


def test_data_docs_name_each_batch_by_its_table(checks_project):
    """GX pages of DataFrame batches said "Data asset: None"; each now names its table."""
    from warehouse.checks.checker import run_checks

    run = run_checks(checks_project, select=["champions"])
    pages = list((run.docs_index.parent / "validations").rglob("*.html"))
    assets = {re.search(r"Data asset:\s*([^<\s]*)", p.read_text(encoding="utf-8")).group(1) for p in pages}
    assert len(pages) == 6 and assets == {"main.champions"}  # the table, 3 list columns, 2 SQL expectations
    summary = run.summary_page.read_text(encoding="utf-8")
    assert 'href="data-docs/index.html"' in summary and 'data-asset="main.champions"' in summary
