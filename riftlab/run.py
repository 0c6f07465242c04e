"""``riftlab run``: every stage that exists, in order.

``riftlab run`` crawls the sources of riftlab.yaml into the project's warehouse; ``--demo`` runs
the offline demo on the bundled fixture sites, in a warehouse (reports, runs) of its own.  A stage
is a ``run_stage(project, console) -> str`` in :mod:`riftlab.stages` returning a one-line summary,
or raising :class:`~warehouse.errors.StageSkipped` with why it has nothing to do; each is imported
when it runs, so its heavy imports cost the others nothing.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass

import click

from riftlab.commandline import project_options
from warehouse.errors import RiftlabError, StageSkipped
from warehouse.project import Project

#: exit status of a command stopped by Ctrl-C, as a shell reports SIGINT
INTERRUPTED = 130


@dataclass(frozen=True)
class Stage:
    name: str
    target: str  # "module:function"
    description: str


STAGES: tuple[Stage, ...] = (
    Stage("crawl", "riftlab.stages.crawl:run_stage", "the configured sources (the demo: the bundled fixture sites)"),
    Stage("build", "riftlab.stages.build:run_stage", "seeds, rules and SQL models"),
    Stage("check", "riftlab.stages.check:run_stage", "expectation suites and Data Docs"),
    Stage("augment", "riftlab.stages.augment:run_stage", "LLM augmentation (skipped without ANTHROPIC_API_KEY)"),
    Stage("train", "riftlab.stages.train:run_stage", "the embedder on the triplets (default embed preset)"),
    Stage("evaluate", "riftlab.stages.evaluate:run_stage", "base MiniLM and the newest embedder on every task; report"),
)


@dataclass
class StageOutcome:
    stage: Stage
    status: str  # ok, skipped, failed, interrupted
    summary: str
    seconds: float
    exit_code: int = 0


def _call(stage: Stage, project: Project, console) -> str:
    module_name, _, attribute = stage.target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)(project, console)


def run_stages(project: Project, stages: tuple[Stage, ...], console) -> list[StageOutcome]:
    """Run ``stages`` in order; the first failure or Ctrl-C stops the run (later stages need its output)."""
    outcomes: list[StageOutcome] = []
    for index, stage in enumerate(stages, start=1):
        console.rule(f"[bold]{index}/{len(stages)} {stage.name}[/bold]: {stage.description}")
        started = time.perf_counter()
        exit_code = 0
        try:
            summary = _call(stage, project, console)
            status = "ok"
        except StageSkipped as exc:
            summary, status = str(exc), "skipped"
        except RiftlabError as exc:
            summary, exit_code = str(exc), exc.exit_code
            status = "interrupted" if exit_code == INTERRUPTED else "failed"
        except KeyboardInterrupt:
            summary, status, exit_code = "interrupted (Ctrl-C)", "interrupted", INTERRUPTED
        outcomes.append(StageOutcome(stage, status, summary, time.perf_counter() - started, exit_code))
        if exit_code:
            break
    return outcomes


def print_summary(outcomes: list[StageOutcome], console) -> None:
    from rich.table import Table

    table = Table(title="riftlab run")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("summary", overflow="fold")
    colours = {"ok": "green", "skipped": "yellow", "failed": "red", "interrupted": "red"}
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
@click.option(
    "--demo",
    is_flag=True,
    help="The offline demo: the bundled fixture sites, in a warehouse of its own (warehouse.demo_path).",
)
@project_options
def run(project: Project, only: tuple[str, ...], demo: bool) -> None:
    """Run every stage end to end: crawl, build, check, augment, train, evaluate.

    Without --demo this is the real job on the project's warehouse; with --demo, the offline
    demo on its own warehouse (unless --db names one).
    """
    from rich.console import Console

    console = Console()
    known = {stage.name for stage in STAGES}
    unknown = sorted(set(only) - known)
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {', '.join(unknown)}; stages: {', '.join(s.name for s in STAGES)}")
    stages = tuple(s for s in STAGES if not only or s.name in only)
    if demo:
        project = project.as_demo()
        console.print(
            f"riftlab run --demo: the bundled fixture sites, offline, into the demo warehouse {project.db_path} "
            f"(reports {project.reports_dir}); the project's own warehouse is not touched"
        )
    else:
        console.print(f"riftlab run: project {project.root}, warehouse {project.db_path}")
    outcomes = run_stages(project, stages, console)
    print_summary(outcomes, console)
    failed = [o.exit_code for o in outcomes if o.exit_code]
    if failed:
        raise SystemExit(failed[-1])
