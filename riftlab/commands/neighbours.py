"""``riftlab neighbours``: a champion's nearest champions, or the champions a kit description fits."""

from __future__ import annotations

import click

from riftlab.commandline import project_options
from warehouse.project import Project


@click.command("neighbours")
@click.argument("name", required=False)
@click.option("--kit", default=None, help="Free text to embed instead of a NAME ('ranged, low mobility').")
@click.option("--model", "model_ref", default="current", show_default=True, help="current, minilm, a run id, a folder.")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True, help="How many to show.")
@project_options
def neighbours(project: Project, name: str | None, kit: str | None, model_ref: str, k: int) -> None:
    """Print NAME's nearest champions (cosine, shared labels), or with --kit those a description fits."""
    if (name is None) == (kit is None):
        raise click.UsageError("give a champion NAME or --kit TEXT (one of the two)")
    from rich.console import Console
    from rich.table import Table

    from evaluation import neighbours as search
    from evaluation.models import load

    con = project.connect(read_only=True)
    try:
        rows = search.champions(con)
        cards = search.kit_sentences(con) if kit is not None else {}
        if name is not None:
            search.find(rows, name)  # an unknown name fails before the model loads
        ref = search.resolve(model_ref, con)
    finally:
        con.close()
    model = load(ref, decoder_pooling=project.config["evaluation"]["decoder_pooling"])
    console = Console()
    if kit is not None and not cards:
        console.print(
            "[yellow]the warehouse has no kit cards (main.champion_kit_card_hits): champions are ranked by their "
            "names alone; crawl champion facts (riftlab crawl meraki) and run riftlab build for kit search[/yellow]"
        )
    found = search.by_name(model, rows, name, k) if name is not None else search.by_text(model, rows, kit, k, cards)
    title = f"nearest to {name}" if name is not None else f"champions for '{kit}'"
    table = Table(title=f"{title} ({ref.label})")
    table.add_column("#", justify="right")
    table.add_column("champion")
    table.add_column("cosine" if name is not None else "match", justify="right")
    if name is not None:
        for kind in search.LABELS:
            table.add_column(f"shared {kind}")
    else:
        table.add_column("card facts matched")
    for rank, item in enumerate(found, start=1):
        cells = [str(rank), item.name, f"{item.score:.3f}"]
        if name is not None:
            cells += [", ".join(item.shared[kind]) or "-" for kind in search.LABELS]
        else:
            cells.append(", ".join(item.matched) or "-")
        table.add_row(*cells)
    console.print(table)
