"""The client layer against a local Messages API: cache, retries, prompt caching, costs, the key."""

from __future__ import annotations

import pytest

from augment.errors import AugmentError
from augment.pricing import Pricing
from augment.settings import AUGMENT
from tests.augment.project import API_KEY, rows, run


def test_second_run_is_answered_from_the_warehouse(project, api):
    first = run(project, "instruct-factual")
    sent = api.counts["messages"]
    assert sent == first.stats.planned > 0
    before = rows(project, "SELECT count(*), sum(cost_usd) FROM raw.llm_calls")[0]
    pairs = rows(project, "SELECT count(*) FROM raw.augmentations WHERE status = 'ok'")[0][0]

    second = run(project, "instruct-factual")

    assert api.counts["messages"] == sent  # not one request more
    assert second.stats.cached == first.stats.planned and second.stats.sent == 0
    assert second.stats.spent_usd == 0
    assert rows(project, "SELECT count(*), sum(cost_usd) FROM raw.llm_calls")[0] == before
    # same answers, same deterministic row ids: nothing duplicated
    assert rows(project, "SELECT count(*) FROM raw.augmentations WHERE status = 'ok'")[0][0] == pairs == 2 * sent


def test_costs_come_from_the_price_table_and_usage(project, api):
    run(project, "roles")
    pricing = Pricing.from_settings(AUGMENT)
    logged = rows(
        project,
        """SELECT model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,
                                     latency_ms, status, prompt_version FROM raw.llm_calls""",
    )
    assert len(logged) == 4
    for model, tokens_in, tokens_out, read, write, cost, latency, status, version in logged:
        assert model == "claude-haiku-4-5" and status == "ok" and len(version) == 12 and latency >= 0
        assert cost == pytest.approx(pricing.cost(model, tokens_in, tokens_out, read, write))
        assert cost > 0


def test_shared_system_part_is_sent_for_prompt_caching(project, api):
    run(project, "champion-cards")
    systems = [body["system"] for body in api.bodies]
    assert all(block[-1]["cache_control"] == {"type": "ephemeral"} for block in systems)
    assert len({block[0]["text"] for block in systems}) == 1  # one shared system part for the task
    read = rows(project, "SELECT sum(cache_read_tokens), count(*) FILTER (cache_read_tokens > 0) FROM raw.llm_calls")[0]
    assert read[0] > 0 and read[1] == len(systems) - 1  # every request after the first read the cache


def test_overloaded_api_is_retried_by_the_sdk(project, api):
    api.overloaded = 2  # the first two calls answer 529 (retry-after-ms: 1)
    report = run(project, "roles")
    assert api.counts["overloaded"] == 2
    assert api.counts["messages"] == report.stats.planned + 2
    assert rows(project, "SELECT count(*) FROM raw.llm_calls WHERE status = 'ok'")[0][0] == report.stats.planned
    assert rows(project, "SELECT count(*) FROM raw.llm_calls WHERE status <> 'ok'")[0][0] == 0


def test_a_request_that_stays_overloaded_is_logged_as_an_error_and_retried_next_run(project, api):
    api.overloaded = 4 * 10  # more than max_retries (3) allows for every request
    with pytest.raises(AugmentError, match=r"roles: all 1 requests failed \(OverloadedError 529"):
        run(project, "roles", limit=1)
    assert rows(project, "SELECT status, error LIKE '%529%' FROM raw.llm_calls") == [("error", True)]
    api.overloaded = 0
    again = run(project, "roles", limit=1)
    assert again.stats.sent == 1 and again.stats.answered == 1


def test_dry_run_sends_nothing_and_needs_no_key(project, api, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    report = run(project, "paraphrase", dry_run=True)
    assert api.counts["messages"] == 0
    assert report.stats.to_send == report.stats.planned > 0
    assert report.stats.estimated_input_tokens > 0 and 0 < report.stats.estimated_usd <= report.stats.worst_usd
    # a paraphrase is expected to be about as long as its source, far below the max_tokens cap
    assert (
        0 < report.stats.expected_output_tokens < report.stats.estimated_input_tokens < report.stats.max_output_tokens
    )
    line = report.line()
    assert f"{report.stats.planned} requests" in line and "$" in line and "input tokens" in line
    assert rows(project, "SELECT count(*) FROM raw.llm_calls")[0][0] == 0


def test_no_key_is_a_clear_error(project, api, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(AugmentError, match="ANTHROPIC_API_KEY is not set"):
        run(project, "roles")


def test_unknown_model_is_named(project, api):
    with pytest.raises(AugmentError, match="no price for model 'claude-imaginary'"):
        run(project, "roles", model="claude-imaginary")


def test_the_api_key_never_lands_in_the_warehouse(project, api, capsys):
    run(project, "roles")
    run(project, "self-instruct", limit=1)
    run(project, "instruct-factual", batch=True, limit=2)
    assert any(h.get("authorization", h.get("Authorization", "")).endswith(API_KEY) for h in api.headers)
    con = project.connect(read_only=True)
    try:
        columns = con.execute(
            """SELECT table_schema, table_name, column_name FROM information_schema.columns
               WHERE table_schema IN ('raw', 'main', 'meta')"""
        ).fetchall()
        for schema, table, column in columns:
            hits = con.execute(
                f'SELECT count(*) FROM {schema}."{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?',
                [f"%{API_KEY[8:]}%"],
            ).fetchall()[0][0]
            assert hits == 0, f"{schema}.{table}.{column} holds the key"
    finally:
        con.close()
    assert API_KEY[8:].encode() not in project.db_path.read_bytes()
    out = capsys.readouterr()
    assert API_KEY[8:] not in out.out + out.err


def test_budget_stops_the_run_before_it_is_exceeded(project, api):
    from augment.errors import BudgetExceeded
    from tests.augment.project import reload

    # what the first requests of the task may cost at worst: room for two of them, not three
    dry = run(project, "instruct-factual", dry_run=True)
    per_request = dry.stats.worst_usd / dry.stats.planned
    budget = per_request * 2.5
    project = reload(project, budget=budget)

    with pytest.raises(BudgetExceeded, match="stopped before exceeding the budget"):
        run(project, "instruct-factual")

    sent = api.counts["messages"]
    assert 1 <= sent < dry.stats.planned
    spent = rows(project, "SELECT sum(cost_usd) FROM raw.llm_calls")[0][0]
    assert spent <= budget
    # what was answered is kept and reused: the next run (bigger budget) sends only the rest
    project = reload(project, budget=5.0)
    rest = run(project, "instruct-factual")
    assert rest.stats.cached == sent and rest.stats.sent == dry.stats.planned - sent
