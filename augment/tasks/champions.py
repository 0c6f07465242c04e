"""Per-champion analyses grounded in that champion's chunks: cards, matchups, roles."""

from __future__ import annotations

from typing import Any

from augment.engine import Answer
from augment.errors import MalformedAnswer
from augment.inputs import Champion, Chunk, grounding
from augment.landing import AugmentationRow
from augment.tasks.base import Corpus, Task, WorkItem, bullet_list

POSITIONS = ("Top", "Jungle", "Middle", "Bottom", "Support")


def champion_inputs(champion: Champion, chunks: list[Chunk]) -> dict[str, Any]:
    return {
        "name": champion.name,
        "title": champion.title or "",
        "positions": list(champion.positions),
        "classes": list(champion.classes),
        "subclasses": list(champion.subclasses),
        "grounding": [{"section": c.section or "", "source": c.source, "text": c.text} for c in chunks],
    }


class ChampionTask(Task):
    def grounding_chunks(self, corpus: Corpus, champion: Champion, settings: dict[str, Any]) -> list[Chunk]:
        return corpus.chunks_by_champion.get(champion.key, [])

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        items = []
        for champion in corpus.champions:
            chunks = grounding(self.grounding_chunks(corpus, champion, settings), int(settings["grounding_tokens"]))
            if not chunks:
                continue  # nothing to ground an analysis in
            items.append(
                WorkItem(
                    subject=champion.key,
                    inputs=champion_inputs(champion, chunks),
                    source_ids=[c.chunk_id for c in chunks],
                    champion=champion.key,
                    split=corpus.splits.get(champion.key, "train"),
                    title=f"{champion.name}: {self.kind}",
                )
            )
        return items


class ChampionCards(ChampionTask):
    name = "champion-cards"
    kind = "card"
    prompt = "champion_card"
    shape = {"kit": str, "synergies": str, "strengths": [str], "weaknesses": [str]}
    help = "A card per champion: kit, synergies, strengths, weaknesses (grounded in its chunks)."

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        card = outcome.payload
        name = item.inputs["name"]
        text = (
            f"{name}{', ' + item.inputs['title'] if item.inputs['title'] else ''}\n\n"
            f"Kit: {card['kit'].strip()}\n\nSynergies: {card['synergies'].strip()}\n\n"
            f"Strengths:\n{bullet_list(card['strengths'])}\n\nWeaknesses:\n{bullet_list(card['weaknesses'])}"
        )
        return [self.row(item, outcome, 0, text=text, title=f"{name}: champion card")]


class Matchups(ChampionTask):
    name = "matchups"
    kind = "matchup"
    prompt = "matchup"
    shape = {"summary": str, "strategies": [str]}
    help = "How to play against each champion, grounded in coaching/matchup chunks."

    def grounding_chunks(self, corpus: Corpus, champion: Champion, settings: dict[str, Any]) -> list[Chunk]:
        sources = set(settings["matchup_sources"])
        words = ("matchup", "counter", "against", "versus")
        return [
            c
            for c in corpus.chunks_by_champion.get(champion.key, [])
            if c.source in sources or any(w in (c.section or "").lower() for w in words)
        ]

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        name = item.inputs["name"]
        summary, strategies = outcome.payload["summary"].strip(), bullet_list(outcome.payload["strategies"])
        text = f"Playing against {name}\n\n{summary}\n\n{strategies}"
        return [self.row(item, outcome, 0, text=text, title=f"Playing against {name}")]


class Roles(ChampionTask):
    name = "roles"
    kind = "role"
    prompt = "role_analysis"
    shape = {"positions": [str], "analysis": str}
    help = "An analysis of each champion's kit arguing where it is played."

    def validate(self, payload: Any) -> Any:
        unknown = [p for p in payload["positions"] if p not in POSITIONS]
        if unknown:
            raise MalformedAnswer(f"answer.positions has {unknown}; allowed: {', '.join(POSITIONS)}")
        return payload

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        name = item.inputs["name"]
        positions = outcome.payload["positions"]
        return [
            self.row(
                item,
                outcome,
                0,
                text=outcome.payload["analysis"].strip(),
                title=f"Where {name} is played",
                attributes={"positions": positions},
            )
        ]
