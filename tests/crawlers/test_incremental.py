"""Incremental landing: unchanged pages land nothing; a changed page lands a new version, history kept."""

from __future__ import annotations


def _counts(project):
    return (project.scalar("SELECT count(*) FROM raw.documents"), project.scalar("SELECT count(*) FROM raw.facts"))


def test_recrawl_lands_nothing_and_a_changed_page_lands_one_new_version(project, sites):
    first = project.run("crawl", "meraki", "wiki")
    assert first.returncode == 0, first.stdout + first.stderr
    documents, facts = _counts(project)
    # meraki: 83 abilities + 16 lore; wiki: 33 passages. Facts: 191, and 96 kit facts (adaptive type, ratings)
    assert documents == 99 + 33 and facts == 191 + 96

    second = project.run("crawl", "meraki", "wiki")
    assert second.returncode == 0, second.stdout + second.stderr
    assert _counts(project) == (documents, facts)
    assert project.query(
        "SELECT DISTINCT landed FROM raw.crawl_runs WHERE crawl_run_id IN "
        "(SELECT crawl_run_id FROM raw.crawl_runs ORDER BY started_at DESC LIMIT 2)"
    ) == [(0,)]
    # both crawls saw every document
    assert project.scalar("SELECT count(*) FROM raw.crawl_seen") == 2 * documents

    meraki = sites / "meraki" / "champions.json"
    meraki.write_text(meraki.read_text().replace("must be recast within 4 seconds", "must be recast within 5 seconds"))
    ahri = sites / "wiki" / "responses" / "wikitext_9002.json"
    ahri.write_text(ahri.read_text().replace("Keeping a Spirit Rush charge", "Holding a Spirit Rush charge"))
    aatrox_facts = project.scalar("SELECT count(*) FROM raw.facts WHERE source='meraki' AND champion='Aatrox'")

    third = project.run("crawl", "meraki", "wiki")
    assert third.returncode == 0, third.stdout + third.stderr
    new_documents = project.query(
        "SELECT source, section_path FROM raw.documents WHERE crawl_run_id IN "
        "(SELECT crawl_run_id FROM raw.crawl_runs ORDER BY started_at DESC LIMIT 2) ORDER BY source"
    )
    assert new_documents == [("meraki", "Abilities > Q > The Darkin Blade"), ("wiki", "Strategy")]
    # the champion entry changed, so its facts land again (and only its facts)
    assert _counts(project) == (documents + 2, facts + aatrox_facts)
    versions = project.query("SELECT text FROM raw.documents WHERE url LIKE '%#Aatrox/Q' ORDER BY fetched_at")
    assert len(versions) == 2
    assert "within 4 seconds" in versions[0][0] and "within 5 seconds" in versions[1][0]
