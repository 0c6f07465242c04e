"""``instruct-*``: question/answer pairs in chat format, easy to hard.

``instruct-factual`` and ``instruct-strategic`` walk the whole corpus (windows
of consecutive chunks); ``instruct-role`` asks about each champion's role from
its facts and chunks.
"""

from __future__ import annotations

from typing import Any

from augment.engine import Answer
from augment.errors import MalformedAnswer
from augment.inputs import windows
from augment.landing import AugmentationRow, chat
from augment.tasks.base import Corpus, Task, WorkItem
from augment.tasks.champions import ChampionTask

DIFFICULTIES = ("easy", "medium", "hard")
PAIRS_SHAPE = {"pairs": [{"question": str, "answer": str, "difficulty": str}]}


class InstructTask(Task):
    shape = PAIRS_SHAPE

    def validate(self, payload: Any) -> Any:
        for index, pair in enumerate(payload["pairs"]):
            if pair["difficulty"] not in DIFFICULTIES:
                raise MalformedAnswer(f"answer.pairs[{index}].difficulty must be one of {', '.join(DIFFICULTIES)}")
        return payload

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        return [
            self.row(
                item,
                outcome,
                index,
                messages=chat(pair["question"], pair["answer"]),
                attributes={"difficulty": pair["difficulty"]},
            )
            for index, pair in enumerate(outcome.payload["pairs"])
        ]


class CorpusInstructTask(InstructTask):
    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        return [
            WorkItem(
                subject=window.subject,
                inputs={
                    "text": window.text,
                    "section": window.first.section or "",
                    "source": window.first.source,
                    "champion": corpus.name_of(window.first.champion) or "",
                    "n_pairs": settings["pairs_per_request"],
                },
                source_ids=window.source_ids,
                champion=window.first.champion,
                split=window.first.split,
                title=window.first.section,
            )
            for window in windows(corpus.chunks, int(settings["grounding_tokens"]))
        ]


class InstructFactual(CorpusInstructTask):
    name = "instruct-factual"
    kind = "factual"
    prompt = "instruct_factual"
    help = "Factual Q&A pairs (easy to hard) over the whole corpus."


class InstructStrategic(CorpusInstructTask):
    name = "instruct-strategic"
    kind = "strategic"
    prompt = "instruct_strategic"
    help = "Strategic Q&A pairs (how and why to play) over the whole corpus."


class InstructRole(InstructTask, ChampionTask):
    name = "instruct-role"
    kind = "role"
    prompt = "instruct_role"
    help = "Q&A pairs about each champion's role, positions and class."

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        items = ChampionTask.items(self, corpus, settings)
        for item in items:
            item.inputs["n_pairs"] = settings["pairs_per_request"]
        return items

    rows = InstructTask.rows
