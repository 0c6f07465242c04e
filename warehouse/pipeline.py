"""``riftlab run``: every stage that exists, in order, offline by default.

A stage is a function ``run_stage(project, console) -> str`` living beside the
code it drives; it returns a one-line summary, or raises
:class:`~warehouse.errors.StageSkipped` with the reason it has nothing to do.
Stages are imported when they run, so a stage's heavy imports cost nothing to
the others.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass

import click

from warehouse.commandline import project_options
from warehouse.errors import RiftlabError, StageSkipped
from warehouse.project import Project


@dataclass(frozen=True)
class Stage:
    name: str
    target: str  # "module:function"
    description: str


STAGES: tuple[Stage, ...] = (
    Stage("crawl", "crawlers.stage:run_stage", "every source, offline, from the bundled fixture sites"),
    Stage("build", "warehouse.runner.stage:run_stage", "seeds, rules and SQL models"),
    Stage("check", "warehouse.checks.stage:run_stage", "expectation suites and Data Docs"),
    Stage("augment", "warehouse.augment.stage:run_stage", "LLM augmentation (skipped without ANTHROPIC_API_KEY)"),
    Stage("train", "training.stage:run_stage", "the embedder on the triplets (default embed preset)"),
    Stage("evaluate", "evaluation.stage:run_stage", "base MiniLM and the newest embedder on every task; report"),
)


@dataclass
class StageOutcome:
    stage: Stage
    status: str  # ok, skipped, failed
    summary: str
    seconds: float


def _call(stage: Stage, project: Project, console) -> str:
    module_name, _, attribute = stage.target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)(project, console)


def run_stages(project: Project, stages: tuple[Stage, ...], console) -> list[StageOutcome]:
    """Run ``stages`` in order; the first failure stops the run (later stages need its output)."""
    outcomes: list[StageOutcome] = []
    for index, stage in enumerate(stages, start=1):
        console.rule(f"[bold]{index}/{len(stages)} {stage.name}[/bold]: {stage.description}")
        started = time.perf_counter()
        try:
            summary = _call(stage, project, console)
            status = "ok"
        except StageSkipped as exc:
            summary, status = str(exc), "skipped"
        except RiftlabError as exc:
            summary, status = str(exc), "failed"
        outcomes.append(StageOutcome(stage, status, summary, time.perf_counter() - started))
        if status == "failed":
            break
    return outcomes


def print_summary(outcomes: list[StageOutcome], console) -> None:
    from rich.table import Table

    table = Table(title="riftlab run")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("summary", overflow="fold")
    colours = {"ok": "green", "skipped": "yellow", "failed": "red"}
    for outcome in outcomes:
        table.add_row(
            outcome.stage.name,
            f"[{colours[outcome.status]}]{outcome.status}[/]",
            f"{outcome.seconds:.1f}",
            outcome.summary,
        )
    console.print(table)


@click.command("run")
@click.option("--only", multiple=True, help="Run only these stages (repeatable).")
@project_options
def run(project: Project, only: tuple[str, ...]) -> None:
    """Run every stage end to end: crawl, build, check, augment, train, evaluate."""
    from rich.console import Console

    console = Console()
    known = {stage.name for stage in STAGES}
    unknown = sorted(set(only) - known)
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {', '.join(unknown)}; stages: {', '.join(s.name for s in STAGES)}")
    stages = tuple(s for s in STAGES if not only or s.name in only)
    console.print(f"riftlab run: project {project.root}, warehouse {project.db_path}")
    outcomes = run_stages(project, stages, console)
    print_summary(outcomes, console)
    if any(o.status == "failed" for o in outcomes):
        raise SystemExit(1)
