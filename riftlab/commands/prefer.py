"""``riftlab prefer --model RUN``: LLM-judged preference pairs from two answers of a language model.

The training questions of ``main.preference_pairs`` (split train: no held-out champion is asked) are
answered twice by the model (:mod:`training.generate`); the pairs of answers land in
``raw.preference_candidates``, then the ``preference-judge`` augmentation task has the LLM judge
them through the cached, costed client; `riftlab build` publishes the verdicts as pairs.
"""

from __future__ import annotations

import hashlib

import click

from riftlab.commandline import project_options
from warehouse.project import Project


@click.command("prefer")
@click.option("--model", "model_ref", required=True, help="The language model that answers: an sft run folder.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Questions to answer.")
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=48, show_default=True)
@click.option("--dry-run", is_flag=True, help="Land the candidates and print the judge's cost; send nothing.")
@project_options
def prefer(project: Project, model_ref: str, limit: int, max_new_tokens: int, dry_run: bool) -> None:
    """Answer training questions twice with MODEL and have the LLM judge which answer is better."""
    from rich.console import Console

    from augment.run import new_budget, run_task
    from training import bases
    from training.decoders import check_decoder
    from training.generate import answer_twice
    from warehouse.db import require_table, transaction, utcnow

    console = Console()
    path = check_decoder(bases.resolve(model_ref, "prefer", project.root), "prefer")
    con = project.connect(read_only=True)
    try:
        require_table(con, "main", "preference_pairs", "`riftlab build --select +preference_pairs`")
        questions = con.execute(
            "SELECT DISTINCT prompt, champion FROM main.preference_pairs WHERE split = 'train' "
            "AND source LIKE 'rules:%' ORDER BY prompt LIMIT ?",
            [limit],
        ).fetchall()
    finally:
        con.close()
    if not questions:
        raise click.ClickException("main.preference_pairs has no training question: run `riftlab build` first")
    console.print(f"answering {len(questions)} questions twice with {path} ...")
    answers = answer_twice(path, [q for q, _ in questions], max_new_tokens=max_new_tokens)
    now = utcnow()
    rows = [
        [hashlib.md5(f"{model_ref}|{q}".encode()).hexdigest(), q, a, b, champion, "train", model_ref, now]
        for (q, champion), (a, b) in zip(questions, answers, strict=True)
    ]
    con = project.connect()
    try:
        with transaction(con):
            con.executemany("DELETE FROM raw.preference_candidates WHERE candidate_id = ?", [[r[0]] for r in rows])
            con.executemany("INSERT INTO raw.preference_candidates VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        budget = new_budget(project)
        report = run_task(project, con, "preference-judge", dry_run=dry_run, console=console, budget=budget)
    finally:
        con.close()
    console.print(report.line(), highlight=False)
    console.print("`riftlab build --select preference_pairs` publishes the judged pairs")
