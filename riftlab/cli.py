"""The ``riftlab`` command.

Commands live beside the code they drive and are imported only when run
(see :class:`riftlab.commandline.LazyGroup`); this module only names them.
"""

from __future__ import annotations

import click

from riftlab.commandline import LazyGroup, run_command

COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": (
        "riftlab.commands.crawl:crawl",
        "Crawl sources into raw.* (--url to override, --offline for the bundled fixture sites).",
    ),
    "schedule": (
        "riftlab.commands.crawl:schedule",
        "Run crawls on their cron schedules, one at a time; --once runs what is due.",
    ),
    "import-landing": ("riftlab.commands.crawl:import_landing", "Load Parquet landing files (scale-out) into raw.*."),
    "build": ("riftlab.commands.build:build", "Build seeds, rule tables and SQL models (dbt-style)."),
    "ls": ("riftlab.commands.build:ls", "List models in DAG order with materialization and upstreams."),
    "docs": ("riftlab.commands.docs:docs", "Write an offline page of the DAG: columns, tests, runs, column lineage."),
    "seed": ("riftlab.commands.dbt_verbs:seed", "Load the seeds (transforms/seeds/*.csv) as tables."),
    "test": ("riftlab.commands.dbt_verbs:test", "Run the data tests of schema.yml and transforms/tests/."),
    "compile": ("riftlab.commands.dbt_verbs:compile_command", "Render models and tests to target/compiled/."),
    "show": ("riftlab.commands.dbt_verbs:show", "Preview a model's (or --inline SQL's) first rows."),
    "query": ("riftlab.commands.query:query", "Run read-only SQL against the warehouse."),
    "config": (
        "riftlab.commands.config:config",
        "Print the configuration in force (defaults merged with riftlab.yaml).",
    ),
    "run": ("riftlab.run:run", "Run every stage end to end on the configured sources; --demo: the offline demo."),
    "check": ("riftlab.commands.check:check", "Run the expectation suites against the warehouse and build Data Docs."),
    "augment": (
        "riftlab.commands.augment:augment",
        "Augment the corpus with the Anthropic API (cached, costed, batched).",
    ),
    "train": (
        "riftlab.commands.train:train",
        "Train a stage (embed, clm, sft, dpo) from the warehouse and register the run.",
    ),
    "runs": ("riftlab.commands.train:runs", "List training runs from meta.training_runs."),
    "prefer": (
        "riftlab.commands.prefer:prefer",
        "Answer training questions twice with a language model; the LLM judges which is better (DPO pairs).",
    ),
    "export": (
        "riftlab.commands.export:export",
        "Quantise a run's merged model (torchao int8/int4) and score it against its source.",
    ),
    "eval": (
        "riftlab.commands.evaluate:eval_command",
        "Evaluate models on the warehouse tasks (mteb); store scores, print the comparison.",
    ),
    "promote": (
        "riftlab.commands.evaluate:promote",
        "Mark the best evaluated model current if it wins without regressions.",
    ),
    "neighbours": ("riftlab.commands.neighbours:neighbours", "A champion's nearest champions, or those --kit fits."),
}

REPORTS: dict[str, tuple[str, str]] = {
    "corpus": ("riftlab.commands.reports:corpus", "Tokens and documents per source, split and champion."),
    "drift": (
        "riftlab.commands.reports:drift",
        "What changed between two crawls per source (new/changed/removed, tokens, PSI).",
    ),
    "checks": ("riftlab.commands.reports:report_checks", "Rewrite reports/checks.html: every table's check history."),
    "eval": (
        "riftlab.commands.reports:report_eval",
        "Write reports/eval.html: scores, PCA maps, nearest neighbours, loss curves.",
    ),
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
