"""What every augmentation task shares: work items -> requests -> rows.

A task lists its work items (a document window, a champion, a sample), each
with the prompt variables and the provenance its rows carry (sources,
champion, split).  :meth:`Task.run` asks the engine to answer them and turns
each good answer into ``raw.augmentations`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import duckdb

from augment.engine import Answer, Engine
from augment.inputs import Champion, Chunk, Document, champion_splits, load_champions, load_chunks, load_documents
from augment.landing import AugmentationRow, augmentation_id
from augment.requests import LLMRequest


class Corpus:
    """The task inputs, read once from the warehouse when first needed."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    @cached_property
    def chunks(self) -> list[Chunk]:
        return load_chunks(self.con)

    @cached_property
    def documents(self) -> list[Document] | None:
        return load_documents(self.con)

    @cached_property
    def champions(self) -> list[Champion]:
        return load_champions(self.con)

    @cached_property
    def names(self) -> dict[str, str]:
        return {c.key: c.name for c in self.champions}

    @cached_property
    def splits(self) -> dict[str, str]:
        return champion_splits(self.chunks)

    @cached_property
    def chunks_by_champion(self) -> dict[str, list[Chunk]]:
        grouped: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            if chunk.champion:
                grouped.setdefault(chunk.champion, []).append(chunk)
        return grouped

    def name_of(self, key: str | None) -> str | None:
        return self.names.get(key, key) if key else None


@dataclass
class WorkItem:
    subject: str
    inputs: dict[str, Any]
    source_ids: list[str]
    champion: str | None
    split: str | None
    title: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


class Task:
    name: ClassVar[str]
    kind: ClassVar[str]
    prompt: ClassVar[str]
    shape: ClassVar[Any]
    help: ClassVar[str] = ""

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        raise NotImplementedError

    def validate(self, payload: Any) -> Any:
        """Task-specific checks beyond the shape (raise MalformedAnswer)."""
        return payload

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        raise NotImplementedError

    # -- running -----------------------------------------------------------------------------
    def expected_output_tokens(self, item: WorkItem) -> int | None:
        """How long an answer should be, for dry-run estimates (None: ``augment.expected_output_tokens``)."""
        return None

    def request_for(
        self,
        engine: Engine,
        item: WorkItem,
        *,
        task: str | None = None,
        prompt: str | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> LLMRequest:
        return engine.request(
            task or self.name,
            prompt or self.prompt,
            inputs if inputs is not None else item.inputs,
            expected_output_tokens=self.expected_output_tokens(item),
            task=self.name,
            kind=self.kind,
            subject=item.subject,
            source_ids=item.source_ids,
            champion=item.champion,
            split=item.split,
            title=item.title,
            item=item,
        )

    def run(self, engine: Engine, corpus: Corpus, limit: int | None = None) -> None:
        items = self.items(corpus, engine.settings)
        if limit is not None:
            items = items[:limit]
        requests = [self.request_for(engine, item) for item in items]
        outcomes = engine.complete(requests, self.shape, self.validate)
        rows = [
            row for outcome in outcomes if outcome.ok for row in self.rows(outcome.request.context["item"], outcome)
        ]
        engine.land(rows)

    def row(
        self,
        item: WorkItem,
        outcome: Answer,
        index: int,
        *,
        kind: str | None = None,
        text: str | None = None,
        messages: list[dict[str, str]] | None = None,
        attributes: dict[str, Any] | None = None,
        title: str | None = None,
        status: str = "ok",
        verdicts: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> AugmentationRow:
        request = outcome.request
        return AugmentationRow(
            augmentation_id=augmentation_id(self.name, request.request_hash, index),
            task=self.name,
            kind=kind or self.kind,
            subject=item.subject,
            request_hash=request.request_hash,
            model=request.model,
            prompt_version=request.prompt_version,
            source_ids=list(item.source_ids),
            champion=item.champion,
            split=item.split,
            title=title if title is not None else item.title,
            text=text,
            messages=messages,
            attributes={**item.attributes, **(attributes or {})} or None,
            verdicts=verdicts,
            status=status,
            error=error,
        )


def bullet_list(values: list[str]) -> str:
    return "\n".join(f"- {value.strip()}" for value in values)
