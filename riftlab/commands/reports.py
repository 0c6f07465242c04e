"""``riftlab report drift`` and ``riftlab report corpus``."""

from __future__ import annotations

import click

from riftlab.commandline import project_options
from warehouse.db import utcnow
from warehouse.project import Project


def _generated_at() -> str:
    """When a report page was made, as its footer shows it."""
    return utcnow().strftime("%Y-%m-%d %H:%M UTC")


@click.command("drift")
@click.option(
    "--from",
    "from_runs",
    multiple=True,
    help="Earlier crawl run id (repeatable). Default: each spider's previous finished run.",
)
@click.option(
    "--to",
    "to_runs",
    multiple=True,
    help="Later crawl run id (repeatable). Default: each spider's latest finished run.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML file (default: <reports>/drift-FROM-to-TO.html).",
)
@project_options
def drift(project: Project, from_runs: tuple[str, ...], to_runs: tuple[str, ...], output: str | None) -> None:
    """What changed between two crawls per source: new/changed/removed documents, tokens, vocabulary PSI."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from warehouse.reports.drift import VOCABULARY, WORD_PATTERN, DriftError, compute_drift, default_runs
    from warehouse.reports.html import render_page, slug

    con = project.connect(read_only=True)
    try:
        if not from_runs or not to_runs:
            if from_runs or to_runs:
                raise DriftError("give both --from and --to, or neither (each spider's last two crawls)")
            default_from, default_to = default_runs(con)
            from_runs, to_runs = tuple(default_from), tuple(default_to)
        report = compute_drift(con, list(from_runs), list(to_runs))
    finally:
        con.close()
    table = Table(title=f"drift {', '.join(report.from_runs)} -> {', '.join(report.to_runs)}")
    for column in ("source", "new", "changed", "removed", "unchanged", "tokens from", "tokens to", "PSI", "shift"):
        table.add_column(column, justify="left" if column in ("source", "shift") else "right")
    for s in report.sources:
        table.add_row(
            s.source,
            str(s.new),
            str(s.changed),
            str(s.removed),
            str(s.unchanged),
            f"{s.tokens_from:,}",
            f"{s.tokens_to:,}",
            "-" if s.psi is None else f"{s.psi:.4f}",
            (s.shift + (f" ({s.note})" if s.note else "")),
        )
    console = Console()
    console.print(table)
    name = f"drift-{slug('+'.join(report.from_runs))}-to-{slug('+'.join(report.to_runs))}.html"
    target = Path(output) if output else project.reports_dir / name
    render_page(
        "drift.html.j2",
        target,
        report=report,
        vocabulary=VOCABULARY,
        word_pattern=WORD_PATTERN,
        generated_at=_generated_at(),
        warehouse=project.db_path,
    )
    console.print(f"HTML: {target}", highlight=False, soft_wrap=True)


@click.command("corpus")
@click.option(
    "--output", type=click.Path(dir_okay=False), default=None, help="HTML file (default: <reports>/corpus.html)."
)
@click.option(
    "--champions",
    "top_champions",
    default=15,
    show_default=True,
    help="Champions listed in the terminal (all in the HTML).",
)
@project_options
def corpus(project: Project, output: str | None, top_champions: int) -> None:
    """Tokens and documents per source, split and champion (from main.corpus_chunks)."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from warehouse.reports.corpus import compute_corpus
    from warehouse.reports.html import render_page

    con = project.connect(read_only=True)
    try:
        report = compute_corpus(con)
    finally:
        con.close()
    console = Console()
    console.print(f"[bold]{report.headline()}[/]")
    table = Table(title="by source and split")
    for column in ("source", "split", "tokens", "documents", "chunks"):
        table.add_column(column, justify="left" if column in ("source", "split") else "right")
    for row in report.by_source:
        style = "bold" if row["split"] == "all" else None
        table.add_row(
            row["source"],
            row["split"],
            f"{row['tokens']:,}",
            f"{row['documents']:,}",
            f"{row['chunks']:,}",
            style=style,
        )
    console.print(table)
    champions = Table(
        title=f"top {min(top_champions, len(report.by_champion))} of {len(report.by_champion)} champions by tokens"
    )
    for column in ("champion", "split", "tokens", "documents", "chunks"):
        champions.add_column(column, justify="left" if column in ("champion", "split") else "right")
    for row in report.by_champion[:top_champions]:
        champions.add_row(
            row["champion"], row["split"], f"{row['tokens']:,}", f"{row['documents']:,}", f"{row['chunks']:,}"
        )
    console.print(champions)
    target = Path(output) if output else project.reports_dir / "corpus.html"
    render_page("corpus.html.j2", target, report=report, generated_at=_generated_at(), warehouse=project.db_path)
    console.print(f"HTML: {target}", highlight=False, soft_wrap=True)


@click.command("eval")
@click.option(
    "--model", "model_names", multiple=True, help="Only these models (as stored in meta.eval_results; default: all)."
)
@project_options
def report_eval(project: Project, model_names: tuple[str, ...]) -> None:
    """Write reports/eval.html: scores, PCA maps, nearest neighbours, loss curves."""
    from evaluation.report import build_report

    path = build_report(project, list(model_names) or None)
    click.echo(f"wrote {path}")


@click.command("checks")
@project_options
def report_checks(project: Project) -> None:
    """Rewrite <reports>/checks.html from meta.check_results: every table's check history, offline."""
    from warehouse.checks.checker import write_summary_page
    from warehouse.errors import WarehouseError

    if not project.db_path.exists():
        raise WarehouseError(f"no warehouse at {project.db_path}: run `riftlab check` first")
    con = project.connect(read_only=True)
    try:
        page = write_summary_page(project, None, con)
    finally:
        con.close()
    click.echo(f"HTML: {page}")
