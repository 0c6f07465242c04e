"""The ``riftlab`` command.

Commands live beside the code they drive and are imported only when run
(see :class:`warehouse.commandline.LazyGroup`); this module only names them.
"""

from __future__ import annotations

import click

from warehouse.commandline import LazyGroup, run_command

COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawlers.commands:crawl", "Crawl sources into raw.* (--url to override, --offline for the bundled fixture sites)."),
    "schedule": ("crawlers.commands:schedule", "Run crawls on their cron schedules, one at a time; --once runs what is due."),
    "import-landing": ("crawlers.commands:import_landing", "Load Parquet landing files (scale-out) into raw.*."),
    "build": ("warehouse.runner.commands:build", "Build seeds, rule tables and SQL models (dbt-style)."),
    "ls": ("warehouse.runner.commands:ls", "List models in DAG order with materialization and upstreams."),
    "query": ("warehouse.query:query", "Run read-only SQL against the warehouse."),
    "config": ("warehouse.config_command:config", "Print the configuration in force (defaults merged with riftlab.yaml)."),
    "run": ("warehouse.pipeline:run", "Run every stage end to end (offline by default)."),
    "check": ("warehouse.checks.commands:check", "Run the expectation suites against the warehouse and build Data Docs."),
    "augment": ("warehouse.augment.commands:augment", "Augment the corpus with the Anthropic API (cached, costed, batched)."),
    "train": ("training.commands:train", "Train a stage (embed, clm, sft) from the warehouse and register the run."),
    "runs": ("training.commands:runs", "List training runs from meta.training_runs."),
    "eval": ("evaluation.commands:eval_command", "Evaluate models on the warehouse tasks (mteb); store scores, print the comparison."),
    "promote": ("evaluation.commands:promote", "Mark the best evaluated model current if it wins without regressions."),
}

REPORTS: dict[str, tuple[str, str]] = {
    "corpus": ("warehouse.reports.commands:corpus", "Tokens and documents per source, split and champion."),
    "drift": ("warehouse.reports.commands:drift", "What changed between two crawls per source (new/changed/removed, tokens, PSI)."),
    "eval": ("evaluation.report:report_eval", "Write reports/eval.html: scores, PCA maps, nearest neighbours, loss curves."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project-dir", default=None, help="Folder with riftlab.yaml and transforms/ (default: current folder).")
@click.option("--db", "db_path", default=None, help="Warehouse file (default from riftlab.yaml; env RIFTLAB_DB).")
@click.version_option(package_name="riftlab")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None, db_path: str | None) -> None:
    """riftlab: community knowledge -> DuckDB warehouse -> domain language and embedding models."""
    ctx.obj = {"project_dir": project_dir, "db_path": db_path}


@cli.group(cls=LazyGroup, lazy_commands=REPORTS)
def report() -> None:
    """HTML reports a person reads: corpus, drift, evaluation."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    run_command(cli, argv, "riftlab")


if __name__ == "__main__":
    main()
