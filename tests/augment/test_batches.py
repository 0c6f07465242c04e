"""``--batch``: the Message Batches API, half price, and resuming an open batch after a restart."""

from __future__ import annotations

import json

import pytest

from augment.errors import BatchStillRunning
from augment.pricing import Pricing
from augment.settings import AUGMENT
from tests.augment.project import reload, rows, run


def test_batch_answers_are_logged_at_half_price(project, api):
    report = run(project, "roles", batch=True)
    assert api.counts["batch_create"] == 1 and api.counts["messages"] == 0
    assert report.stats.sent == report.stats.planned == 4
    pricing = Pricing.from_settings(AUGMENT)
    logged = rows(
        project,
        """SELECT mode, batch_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                                     cost_usd FROM raw.llm_calls""",
    )
    assert len(logged) == 4
    for mode, batch_id, tokens_in, tokens_out, read, write, cost in logged:
        assert mode == "batch" and batch_id.startswith("msgbatch_")
        full = pricing.cost("claude-haiku-4-5", tokens_in, tokens_out, read, write)
        assert cost == pytest.approx(full / 2)
    assert rows(project, "SELECT processing_status, collected_at IS NOT NULL, n_requests FROM raw.llm_batches") == [
        ("ended", True, 4)
    ]
    assert rows(project, "SELECT count(*) FROM raw.augmentations WHERE task = 'roles' AND status = 'ok'")[0][0] == 4


def test_an_open_batch_is_resumed_not_resubmitted(project, api):
    api.batch_polls = 10**6  # the batch never ends while the first run waits
    waiting = reload(project, batch_wait=0.05)
    with pytest.raises(BatchStillRunning, match="rerun|run the same command again"):
        run(waiting, "champion-cards", batch=True)
    assert api.counts["batch_create"] == 1
    [(batch_id, status, collected, hashes)] = rows(
        project, "SELECT batch_id, processing_status, collected_at, request_hashes FROM raw.llm_batches"
    )
    assert status == "in_progress" and collected is None and len(hashes) == 4
    assert rows(project, "SELECT count(*) FROM raw.llm_calls")[0][0] == 0

    # "restart": a new process, a new engine; the batch has ended meanwhile
    api.batch_polls = 0
    report = run(reload(project), "champion-cards", batch=True)

    assert api.counts["batch_create"] == 1  # nothing submitted twice
    assert api.counts["batch_results"] == 1 and api.counts["messages"] == 0
    assert report.stats.answered == 4
    assert rows(project, "SELECT batch_id, collected_at IS NOT NULL FROM raw.llm_batches") == [(batch_id, True)]
    assert rows(project, "SELECT count(DISTINCT request_hash), min(batch_id) FROM raw.llm_calls") == [(4, batch_id)]
    assert (
        rows(project, "SELECT count(*) FROM raw.augmentations WHERE task = 'champion-cards' AND status = 'ok'")[0][0]
        == 4
    )

    # and once collected, a third run is all cache
    again = run(reload(project), "champion-cards", batch=True)
    assert again.stats.cached == 4 and api.counts["batch_create"] == 1 and api.counts["batch_results"] == 1


def test_batch_budget_submits_only_what_fits(project, api):
    from augment.errors import BudgetExceeded

    dry = run(project, "instruct-strategic", dry_run=True, batch=True)
    per_request = dry.stats.worst_usd / dry.stats.planned / 2  # batch worst case is half the interactive one
    limited = reload(project, budget=per_request * 3.5)
    with pytest.raises(BudgetExceeded):
        run(limited, "instruct-strategic", batch=True)
    submitted = rows(project, "SELECT n_requests FROM raw.llm_batches")
    assert submitted == [(3,)]
    assert rows(project, "SELECT sum(cost_usd) FROM raw.llm_calls")[0][0] <= per_request * 3.5
    assert json.loads(rows(project, "SELECT requests FROM raw.llm_batches")[0][0])[0]["task"] == "instruct-strategic"
