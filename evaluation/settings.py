"""The ``evaluation`` section of riftlab.yaml, typed, with its defaults."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from warehouse.config import Settings, Text, refusal


def _metric(text: str) -> str:
    if len(text.split(":")) != 3 or not all(part.strip() for part in text.split(":")):
        raise refusal("TASK:SPLIT:METRIC, e.g. ChampionSubclassClustering:heldout:v_measure", text)
    return text


class Evaluation(Settings):
    """Which tasks run, how models are encoded, and when a model may be promoted."""

    results_dir: Text = "results"
    """mteb's result JSON folder (results/<model>/<revision>/<Task>.json), relative to the project root."""
    tasks_dir: str = ""
    """Folder of task YAML files; empty = the tasks shipped in evaluation/tasks/."""
    tasks: list[Text] = []
    """Tasks run by default (`riftlab eval` without --tasks, and the `evaluate` stage); empty = all."""
    batch_size: int = Field(64, ge=1)
    """Sentence-transformers encode batch size."""
    decoder_pooling: Literal["lasttoken", "mean", "cls", "max", "weightedmean"] = "lasttoken"
    """Pooling for a bare decoder checkpoint whose folder names none."""
    primary_metric: Annotated[str, AfterValidator(_metric)] = "ChampionSubclassClustering:heldout:v_measure"
    """Promotion: the primary metric as TASK:SPLIT:METRIC."""
    tolerance: float = Field(0.02, ge=0)
    """Promotion: how much any other task's main metric may drop against the current model."""
    report_champions: list[Text] = ["Ahri", "Garen", "Jinx", "Thresh", "Lee Sin", "Annie"]
    """Report: champions whose nearest neighbours are listed (display names)."""
    report_neighbours: int = Field(5, ge=1)
