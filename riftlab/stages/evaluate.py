"""The ``evaluate`` stage of ``riftlab run``: base MiniLM and the newest embedder on every task.

Evaluates ``minilm`` and the latest finished ``embed`` run of ``meta.training_runs`` (when there is
one), stores the scores, writes ``reports/eval.html`` and prints the comparison table.  Tasks whose
tables the warehouse lacks are left out and named in the summary.
"""

from __future__ import annotations

from evaluation import definitions, models, promotion, results, runner
from evaluation.report import build_report
from riftlab.commands.evaluate import print_comparison
from warehouse.db import table_exists
from warehouse.errors import StageSkipped
from warehouse.project import Project


def _runnable_tasks(project: Project) -> tuple[list[str], list[str], list[str]]:
    config = project.config["evaluation"]
    specs = definitions.select(definitions.load_specs(definitions.tasks_dir(config, project.root)), config["tasks"])
    # the models this stage scores are embedders: the language-model tasks are `riftlab eval --model <clm/sft run>`'s
    specs = [spec for spec in specs if spec.family == "embedding"]
    con = project.connect(read_only=True)
    try:
        if not table_exists(con, "main", "champions"):
            raise StageSkipped("the warehouse has no main.champions yet (`riftlab build --select champions` makes it)")
        ready, missing = [], []
        for spec in specs:
            absent = [t for t in spec.needs if not table_exists(con, *t.split(".", 1))]
            if absent:
                missing.append(f"{spec.name} (needs {', '.join(absent)})")
            else:
                ready.append(spec.name)
        embed_run = models.latest_embed_run(con)
    finally:
        con.close()
    references = [models.BASE_NAME] + ([embed_run["run_id"]] if embed_run else [])
    return ready, missing, references


def run_stage(project: Project, console) -> str:
    if not project.db_path.exists():
        raise StageSkipped(f"no warehouse at {project.db_path} yet")
    tasks, missing, references = _runnable_tasks(project)
    if not tasks:
        raise StageSkipped("no task has its tables: " + "; ".join(missing))
    summary = runner.evaluate(project, references, tasks, console=console)
    print_comparison(project, [m.model for m in summary.models], console)
    report = build_report(project, [m.model for m in summary.models])
    primary = project.config["evaluation"]["primary_metric"]
    con = project.connect(read_only=True)
    try:
        task, split, metric = promotion.parse_primary(primary)
        values = {
            r["model"]: r["value"]
            for r in results.latest(con, [m.model for m in summary.models])
            if (r["task"], r["split"], r["metric"]) == (task, split, metric)
        }
    finally:
        con.close()
    headline = ", ".join(f"{m.label} {values[m.model]:.3f}" for m in summary.models if m.model in values)
    line = f"{summary.line()}; {primary}: {headline}; report {report}"
    if len(references) == 1:
        line += "; no finished embed run in meta.training_runs (`riftlab train embed` makes one)"
    if missing:
        line += "; left out: " + "; ".join(missing)
    return line
