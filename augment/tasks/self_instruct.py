"""``self-instruct``: Q&A written from sampled passages, then filtered and cleaned by two judges.

A sample is a document (weighted by tokens), a passage length drawn per source from a clipped
Gaussian (``augment.self_instruct.chunk_tokens``) filled with consecutive chunks, and a prompt
variation; all seeded, so the same corpus gives the same requests and cache hits.
``judge_entities`` rejects pairs naming outside entities (players, streamers, authors, websites):
landed ``rejected``, never published.  ``judge_source`` rewrites pairs that refer to "the guide" or
the text itself (the original stays in ``verdicts``); both verdicts are kept on the row.
"""

from __future__ import annotations

import random
from typing import Any

from augment.engine import Answer, Engine
from augment.errors import MalformedAnswer
from augment.inputs import Chunk, by_document
from augment.landing import AugmentationRow, chat
from augment.tasks.base import Corpus, Task, WorkItem
from warehouse.errors import ConfigError

JUDGE_ENTITIES = "self-instruct-judge-entities"
JUDGE_SOURCE = "self-instruct-judge-source"
VERDICTS = ("pass", "fail")


def clipped_gauss(rng: random.Random, mean: float, sd: float, low: float, high: float) -> int:
    return int(round(min(max(rng.gauss(mean, sd), low), high)))


def passage(chunks: list[Chunk], start: int, target: int) -> list[Chunk]:
    """Consecutive chunks from ``start`` reaching ``target`` tokens (extended backwards at the document's end)."""
    chosen = [chunks[start]]
    size = chunks[start].n_tokens
    end = start + 1
    while size < target and end < len(chunks):
        chosen.append(chunks[end])
        size += chunks[end].n_tokens
        end += 1
    begin = start
    while size < target and begin > 0:
        begin -= 1
        chosen.insert(0, chunks[begin])
        size += chunks[begin].n_tokens
    return chosen


def size_params(sizes: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``augment.self_instruct.chunk_tokens`` checked: each entry has numbers 0 < min <= max, sd >= 0."""
    if "default" not in sizes:
        raise ConfigError("augment.self_instruct.chunk_tokens: needs a 'default' entry (mean, sd, min, max)")
    checked = {}
    for source, params in sizes.items():
        where = f"augment.self_instruct.chunk_tokens.{source}"
        if not isinstance(params, dict) or {"mean", "sd", "min", "max"} - set(params):
            raise ConfigError(f"{where}: needs mean, sd, min and max (tokens)")
        if not all(
            isinstance(params[k], (int, float)) and not isinstance(params[k], bool)
            for k in ("mean", "sd", "min", "max")
        ):
            raise ConfigError(f"{where}: mean, sd, min and max must be numbers")
        if not 0 < params["min"] <= params["max"] or params["sd"] < 0:
            raise ConfigError(f"{where}: needs 0 < min <= max and sd >= 0, got {params}")
        checked[source] = params
    return checked


def sample_items(corpus: Corpus, settings: dict[str, Any], count: int) -> list[WorkItem]:
    config = settings["self_instruct"]
    sizes = size_params(config["chunk_tokens"])
    rng = random.Random(int(config["seed"]))
    documents = list(by_document(corpus.chunks).values())
    if not documents:
        return []
    weights = [max(1, sum(c.n_tokens for c in chunks)) for chunks in documents]
    items = []
    for index in range(count):
        chunks = rng.choices(documents, weights)[0]
        source = chunks[0].source
        params = sizes.get(source, sizes["default"])
        target = clipped_gauss(rng, params["mean"], params["sd"], params["min"], params["max"])
        chosen = passage(chunks, rng.randrange(len(chunks)), target)
        style = rng.choice(config["styles"])
        length = rng.choice(config["lengths"])
        first = chosen[0]
        items.append(
            WorkItem(
                subject=f"sample-{config['seed']}-{index}",
                inputs={
                    "text": "\n\n".join(c.text for c in chosen),
                    "style": style,
                    "length": length,
                    "n_pairs": settings["pairs_per_request"],
                    "champion": corpus.name_of(first.champion) or "",
                },
                source_ids=[c.chunk_id for c in chosen],
                champion=first.champion,
                split=first.split,
                title=first.section,
                attributes={
                    "style": style,
                    "length": length,
                    "target_tokens": target,
                    "passage_tokens": sum(c.n_tokens for c in chosen),
                    "source": source,
                },
            )
        )
    return items


def _check_verdict(payload: Any) -> Any:
    if payload["verdict"] not in VERDICTS:
        raise MalformedAnswer(f"answer.verdict must be one of {', '.join(VERDICTS)}")
    return payload


class SelfInstruct(Task):
    name = "self-instruct"
    kind = "self-instruct"
    prompt = "self_instruct"
    shape = {"pairs": [{"question": str, "answer": str}]}
    help = "Q&A from clipped-Gaussian samples with prompt variations, filtered and rewritten by two judges."

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        return sample_items(corpus, settings, int(settings["self_instruct"]["samples"]))

    def _judge_request(self, engine: Engine, item: WorkItem, task: str, prompt: str, pair: dict[str, str], index: int):
        return engine.request(
            task,
            prompt,
            {"question": pair["question"], "answer": pair["answer"]},
            task=self.name,
            kind=self.kind,
            subject=item.subject,
            source_ids=item.source_ids,
            champion=item.champion,
            split=item.split,
            title=item.title,
            item=item,
            pair_index=index,
        )

    def run(self, engine: Engine, corpus: Corpus, limit: int | None = None) -> None:
        count = int(engine.settings["self_instruct"]["samples"])
        items = sample_items(corpus, engine.settings, count if limit is None else min(limit, count))
        generated = engine.complete([self.request_for(engine, item) for item in items], self.shape)
        pairs = [(o, index, pair) for o in generated if o.ok for index, pair in enumerate(o.payload["pairs"])]

        entity_requests = [
            self._judge_request(engine, o.request.context["item"], JUDGE_ENTITIES, "judge_entities", p, i)
            for o, i, p in pairs
        ]
        entity_shape = {"verdict": str, "entities?": list, "reason?": str}
        entity_verdicts = engine.complete(entity_requests, entity_shape, _check_verdict)

        passed = [(k, pairs[k]) for k, v in enumerate(entity_verdicts) if v.ok and v.payload["verdict"] == "pass"]
        source_requests = [
            self._judge_request(engine, o.request.context["item"], JUDGE_SOURCE, "judge_source", p, i)
            for _, (o, i, p) in passed
        ]
        source_shape = {"mentions_source": bool, "question": str, "answer": str}
        source_verdicts = dict(zip((k for k, _ in passed), engine.complete(source_requests, source_shape), strict=True))

        rows: list[AugmentationRow] = []
        for k, (outcome, index, pair) in enumerate(pairs):
            item = outcome.request.context["item"]
            entity = entity_verdicts[k]
            if entity.error and entity.call is None:
                continue  # not judged yet (dry run, budget): the next run judges it
            verdicts: dict[str, Any] = {"entities": self._verdict(entity)}
            if not entity.ok:
                rows.append(
                    self.row(
                        item,
                        outcome,
                        index,
                        messages=chat(pair["question"], pair["answer"]),
                        status="failed",
                        verdicts=verdicts,
                        error=f"entity judge: {entity.error}",
                    )
                )
                continue
            if entity.payload["verdict"] == "fail":
                rows.append(
                    self.row(
                        item,
                        outcome,
                        index,
                        messages=chat(pair["question"], pair["answer"]),
                        status="rejected",
                        verdicts=verdicts,
                        error=f"outside entities: {', '.join(map(str, entity.payload.get('entities') or [])) or '?'}",
                    )
                )
                continue
            source = source_verdicts[k]
            if source.error and source.call is None:
                continue
            verdicts["source"] = self._verdict(source)
            if not source.ok:
                rows.append(
                    self.row(
                        item,
                        outcome,
                        index,
                        messages=chat(pair["question"], pair["answer"]),
                        status="failed",
                        verdicts=verdicts,
                        error=f"source judge: {source.error}",
                    )
                )
                continue
            question, answer = pair["question"], pair["answer"]
            if source.payload["mentions_source"]:
                verdicts["original"] = {"question": question, "answer": answer}
                question, answer = source.payload["question"], source.payload["answer"]
            rows.append(
                self.row(
                    item,
                    outcome,
                    index,
                    messages=chat(question, answer),
                    verdicts=verdicts,
                    attributes={"rewritten": bool(source.payload["mentions_source"])},
                )
            )
        engine.land(rows)

    @staticmethod
    def _verdict(outcome: Answer) -> dict[str, Any]:
        verdict: dict[str, Any] = {"request_hash": outcome.request.request_hash}
        if outcome.ok:
            verdict.update({k: v for k, v in outcome.payload.items() if k not in ("question", "answer")})
        else:
            verdict["error"] = outcome.error
        return verdict
