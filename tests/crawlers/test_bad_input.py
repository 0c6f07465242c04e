"""Bad input becomes a raw.crawl_errors row; the crawl goes on, lands the rest and exits non-zero."""

from __future__ import annotations


def _errors(project, spider):
    return {
        url.rsplit("/", 1)[-1]: reason
        for url, reason in project.query("SELECT url, reason FROM raw.crawl_errors WHERE spider = ?", [spider])
    }


def test_meraki_bad_inputs_are_recorded_and_good_input_lands(project, server):
    broken = f"{server.url}/broken"
    cases = [
        "truncated.json",
        "invalid.json",
        "missing_fields.json",
        "server_error.json",
        "forbidden.json",
        "loop_a",
        "latin1.json",
        "absent.json",
    ]
    args = [arg for case in cases for arg in ("--url", f"{broken}/{case}")]
    done = project.run("crawl", "meraki", *args, "--url", f"{server.url}/meraki/champions.json")

    assert done.returncode == 1
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("crawled meraki:") and "8 errors" in summary
    errors = _errors(project, "meraki")
    assert errors["truncated.json"].startswith("invalid JSON: ")
    assert errors["invalid.json"] == "invalid JSON: Expecting value at line 1 column 1"
    assert errors["missing_fields.json#Azir"] == "champion Azir: missing expected field(s) positions"
    assert errors["server_error.json"] == "HTTP 500"
    assert errors["forbidden.json"] == "HTTP 403"
    assert errors["absent.json"] == "HTTP 404"
    assert errors["loop_a"].startswith("redirect loop: ") and "loop_b" in errors["loop_a"]
    assert errors["latin1.json"].startswith("body is not valid utf-8")
    assert len(errors) == 8
    excerpt = project.scalar("SELECT excerpt FROM raw.crawl_errors WHERE url LIKE '%truncated.json'")
    assert excerpt.startswith('{"Aatrox"')

    # the crawl went on: every good champion landed, and the run is logged with its errors
    assert project.scalar("SELECT count(DISTINCT champion) FROM raw.facts WHERE source='meraki'") == 16
    assert project.query("SELECT status, errors FROM raw.crawl_runs") == [("finished", 8)]


def test_malformed_pages_of_html_and_api_spiders_are_recorded(project, server):
    broken = f"{server.url}/broken"
    done = project.run(
        "crawl",
        "coaching",
        "--url",
        f"{broken}/malformed.html",
        "--url",
        f"{broken}/bad_state.html",
        "--url",
        f"{broken}/no_state.html",
        "--url",
        f"{server.url}/coaching/lol/champions/thresh/build",
    )
    assert done.returncode == 1
    errors = _errors(project, "coaching")
    assert errors["malformed.html"].startswith("article has no <h2> sections")
    assert errors["bad_state.html"].startswith("invalid JSON in __NEXT_DATA__")
    assert errors["no_state.html"].startswith("no guide links, no embedded JSON state")
    assert project.scalar("SELECT count(*) FROM raw.documents WHERE champion = 'Thresh'") == 2

    project.configure(
        {
            "name": "t",
            "sources": {
                "wiki": {"read": "html", "categories": [{"name": "Category:Broken", "entity_type": "champion"}]}
            },
        }
    )
    done = project.run("crawl", "wiki", "--url", f"{broken}/api.php")
    assert done.returncode == 1
    reasons = sorted(_errors(project, "wiki").values())
    assert reasons == [
        "page 'Empty page': malformed HTML: no text under any heading (truncated or malformed markup)",
        "parse response: missing expected field(s) revid",
    ]


def test_user_errors_are_one_line(project):
    done = project.run("crawl", "lolwiki")
    assert done.returncode == 2 and "unknown spider(s) lolwiki" in done.stderr
    project.configure({"name": "t", "sources": {"forum": {"start_urls": []}}})
    done = project.run("crawl", "forum")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: sources.forum.start_urls is empty in riftlab.yaml: set it or pass --url URL"
