"""The augmentation tasks, by the name ``riftlab augment TASK`` takes."""

from __future__ import annotations

from augment.errors import AugmentError
from augment.tasks.base import Corpus, Task, WorkItem
from augment.tasks.champions import ChampionCards, Matchups, Roles
from augment.tasks.documents import Paraphrase
from augment.tasks.instruct import InstructFactual, InstructRole, InstructStrategic
from augment.tasks.preferences import PreferenceJudge
from augment.tasks.self_instruct import SelfInstruct

TASKS: dict[str, type[Task]] = {
    task.name: task
    for task in (
        Paraphrase,
        ChampionCards,
        Matchups,
        Roles,
        InstructFactual,
        InstructStrategic,
        InstructRole,
        SelfInstruct,
        PreferenceJudge,
    )
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise AugmentError(f"unknown augmentation task '{name}'; tasks: {', '.join(TASKS)}")
    return TASKS[name]()


__all__ = ["TASKS", "Corpus", "Task", "WorkItem", "get_task"]
