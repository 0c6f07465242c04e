"""``riftlab augment`` (the click command) and the ``augment`` stage of ``riftlab run``."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from rich.console import Console

from riftlab.commands.augment import augment
from riftlab.stages.augment import run_stage
from tests.augment.project import rows
from warehouse.errors import StageSkipped


def invoke(project, *args: str):
    return CliRunner().invoke(
        augment, [*args, "--project-dir", str(project.root), "--db", str(project.db_path)], catch_exceptions=False
    )


def test_command_dry_run_then_run_then_cached(project, api):
    dry = invoke(project, "roles", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "roles: 4 requests (0 cached, 4 to send)" in dry.output and "$" in dry.output
    assert api.counts["messages"] == 0

    first = invoke(project, "roles", "--limit", "2")
    assert first.exit_code == 0, first.output
    assert "roles: 2 requests (0 cached, 2 sent" in first.output and api.counts["messages"] == 2

    again = invoke(project, "roles")
    assert "roles: 4 requests (2 cached, 2 sent" in again.output and api.counts["messages"] == 4


def test_command_rejects_an_unknown_task(project):
    result = CliRunner().invoke(augment, ["summaries", "--project-dir", str(project.root)])
    assert result.exit_code == 2 and "'summaries' is not one of" in result.output


def test_stage_skips_api_tasks_offline_in_one_line(project, offline):
    with pytest.raises(StageSkipped) as skipped:
        run_stage(project, Console(file=io.StringIO()))
    message = str(skipped.value)
    assert "\n" not in message and "ANTHROPIC_API_KEY not set" in message


def test_stage_runs_the_configured_tasks_and_publishes(models_project, api):
    output = io.StringIO()
    summary = run_stage(models_project, Console(file=output, width=200))
    assert summary.startswith("1 tasks, 4 requests sent, $") and "models rebuilt" in summary
    assert "roles: 4 requests" in output.getvalue()
    assert (
        rows(models_project, "SELECT count(*) FROM main.augmented_documents WHERE source = 'augment:roles'")[0][0] == 4
    )


def test_stage_stops_at_the_budget_publishes_and_lets_the_run_go_on(models_project, api):
    from tests.augment.project import reload

    project = reload(models_project, budget=0.02, run_tasks=("roles", "champion-cards"))
    summary = run_stage(project, Console(file=io.StringIO(), width=200))
    assert "budget reached at" in summary and "models rebuilt" in summary
    spent = rows(project, "SELECT coalesce(sum(cost_usd), 0), count(*) FROM raw.llm_calls")[0]
    assert spent[0] <= 0.02 and 0 < spent[1] < 4  # roles alone needs 4 worst cases of ~$0.008
    assert f"{spent[1]} requests sent" in summary
    published = rows(project, "SELECT count(*) FROM main.augmented_documents")[0][0]
    assert published == spent[1]
