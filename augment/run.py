"""Run augmentation tasks against a project's warehouse and report what they did and cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from augment.client import advice
from augment.engine import Engine, RunStats
from augment.errors import AugmentError, BudgetExceeded
from augment.pricing import Budget
from augment.prompts import PromptLibrary
from augment.tasks import Corpus, get_task


@dataclass
class TaskReport:
    task: str
    stats: RunStats
    dry_run: bool
    batch: bool
    notes: list[str]

    def line(self) -> str:
        s = self.stats
        if self.dry_run:
            return (
                f"{self.task}: {s.planned} requests ({s.cached} cached, {s.to_send} to send), "
                f"~{s.estimated_input_tokens:,} input tokens, ~{s.expected_output_tokens:,} output tokens "
                f"(at most {s.max_output_tokens:,}), "
                f"~${s.estimated_usd:.4f} (at most ${s.worst_usd:.4f}; ~${s.batch_estimated_usd:.4f} with --batch)"
                + (
                    " + judge requests (up to 2 per generated pair), not counted"
                    if self.task == "self-instruct"
                    else ""
                )
            )
        landed = ", ".join(f"{n} {status}" for status, n in sorted(s.landed.items())) or "nothing"
        return (
            f"{self.task}: {s.planned} requests ({s.cached} cached, {s.sent} sent, {s.failed} failed, "
            f"{s.malformed} malformed, "
            f"{s.repaired} repaired); landed {landed}; ${s.spent_usd:.4f} "
            f"({s.input_tokens:,} in / {s.output_tokens:,} out / {s.cache_read_tokens:,} cache-read tokens)"
        )


def new_budget(project: Any) -> Budget:
    """One budget for everything an invocation runs (``augment all``, the run stage)."""
    return Budget(project.config["augment"]["budget_usd"])


def run_task(
    project: Any,
    con: Any,
    task_name: str,
    *,
    limit: int | None = None,
    dry_run: bool = False,
    batch: bool = False,
    model: str | None = None,
    console: Any = None,
    budget: Budget | None = None,
) -> TaskReport:
    """Run one task; raises :class:`BudgetExceeded` after landing what was answered.

    A task whose every sent request failed achieved nothing: :class:`AugmentError` names the
    first error and its fix.
    """
    task = get_task(task_name)
    settings = project.config["augment"]
    prompts = PromptLibrary(project.transforms_dir / "prompts")
    engine = Engine(con, settings, prompts, model=model, batch=batch, dry_run=dry_run, console=console, budget=budget)
    task.run(engine, Corpus(con), limit)
    report = TaskReport(task_name, engine.stats, dry_run, batch, engine.batch_notes)
    if engine.budget_stopped:
        raise BudgetExceeded(
            report,
            f"{task_name}: stopped before exceeding the budget (augment.budget_usd = ${engine.budget.limit:g}): "
            f"{engine.budget.describe()}, {engine.stats.sent} requests sent, "
            f"{engine.stats.to_send - engine.stats.sent} left; answers so far are kept",
        )
    stats = engine.stats
    if stats.failed and not stats.answered:
        raise AugmentError(
            f"{task_name}: all {stats.failed} requests failed ({stats.failure}); {advice(stats.failure)}. "
            f"Failures are logged in raw.llm_calls and sent again by the next run"
        )
    return report
