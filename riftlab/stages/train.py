"""The ``train`` stage of ``riftlab run``: train the stages riftlab.yaml lists with their default presets.

By default only ``embed`` (fast on CPU; it is what the evaluation stage measures).
``clm``/``sft`` need a local decoder base, so they are skipped with a reason when
their preset names none.
"""

from __future__ import annotations

from training.errors import BaseModelError
from warehouse.db import table_exists
from warehouse.errors import StageSkipped
from warehouse.project import Project


def run_stage(project: Project, console) -> str:
    from training.runner import train

    if not project.db_path.exists():
        raise StageSkipped("no warehouse yet")
    con = project.connect(read_only=True)
    try:
        has_triplets = table_exists(con, "main", "triplets")
    finally:
        con.close()
    stages = list(project.config["training"]["run_stages"])
    if "embed" in stages and not has_triplets:
        raise StageSkipped("no main.triplets table: `riftlab build` makes it")
    summaries = []
    for stage in stages:
        try:
            result = train(project, stage, console=console)
        except BaseModelError as exc:
            summaries.append(f"{stage} skipped ({exc})")
            continue
        m = result.metrics
        if stage == "embed":
            before, after = (
                m.get("validation_accuracy_before", float("nan")),
                m.get("validation_accuracy", float("nan")),
            )
            detail = f"validation triplet accuracy {before:.3f} -> {after:.3f}"
        else:
            detail = f"eval perplexity {m.get('eval_perplexity', float('nan')):.2f}"
        summaries.append(f"{stage} {result.run_id}: {detail} in {result.seconds:.0f}s")
    return "; ".join(summaries)
