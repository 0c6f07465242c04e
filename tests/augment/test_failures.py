"""When the API fails: every call failing, replies that are not the API's JSON, answers that quote the key.

`riftlab augment` runs as a real subprocess against the local Messages API, so the exit
status and what a person sees on stderr are the command's own.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.augment.project import API_KEY, rows, run

BAD_GATEWAY = (
    b"<html>\n<head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center></body>\n</html>\n"
)
NOT_THE_API = {
    "html page": (200, "text/html", BAD_GATEWAY),
    "json type, html body": (200, "application/json", BAD_GATEWAY),
}


def augment(project, api, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": API_KEY}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "riftlab.cli",
            "augment",
            *args,
            "--project-dir",
            str(project.root),
            "--db",
            str(project.db_path),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_augment_exits_non_zero_when_every_call_failed(project, api):
    api.overloaded = 10**6  # every call answers 529, retries included
    result = augment(project, api, "roles")
    assert result.returncode != 0, result.stdout + result.stderr
    line = one_error_line(result)
    assert "roles: all 4 requests failed" in line and "Overloaded" in line and "rerun" in line, line
    assert rows(project, "SELECT status, count(*) FROM raw.llm_calls GROUP BY status") == [("error", 4)]


@pytest.mark.parametrize("reply", sorted(NOT_THE_API))
def test_a_reply_that_is_not_the_apis_json_is_one_line(project, api, reply):
    api.raw_replies = [NOT_THE_API[reply]] * 4  # a proxy in front of the API answers every call with its error page
    result = augment(project, api, "roles")
    assert result.returncode != 0, result.stdout + result.stderr
    line = one_error_line(result)
    assert (
        "roles: all 4 requests failed" in line
        and "not the Anthropic API's JSON" in line
        and "ANTHROPIC_BASE_URL" in line
    ), line
    errors = rows(project, "SELECT error FROM raw.llm_calls WHERE status = 'error'")
    assert len(errors) == 4 and all("\n" not in error and "502 Bad Gateway" in error for (error,) in errors), errors


def test_one_bad_reply_is_logged_and_the_rest_of_the_run_goes_on(project, api):
    api.raw_replies = [NOT_THE_API["html page"]]
    result = augment(project, api, "roles")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert rows(project, "SELECT status, count(*) FROM raw.llm_calls GROUP BY status ORDER BY status") == [
        ("error", 1),
        ("ok", 3),
    ]
    again = run(project, "roles")
    assert again.stats.cached == 3 and again.stats.sent == again.stats.answered == 1  # the failed one is retried


@pytest.mark.parametrize("batch", [False, True])
def test_an_answer_that_quotes_the_key_is_stored_redacted(project, api, batch):
    api.echo_key = True
    report = run(project, "roles", batch=batch)
    assert report.stats.answered == 4
    con = project.connect(read_only=True)
    try:
        answers = [text for (text,) in con.execute("SELECT response_text FROM raw.llm_calls").fetchall()]
        landed = [text for (text,) in con.execute("SELECT text FROM raw.augmentations").fetchall()]
    finally:
        con.close()
    assert len(answers) == len(landed) == 4
    assert all("(sent with [redacted])" in text for text in answers + landed), answers + landed
    assert API_KEY[8:].encode() not in project.db_path.read_bytes()
