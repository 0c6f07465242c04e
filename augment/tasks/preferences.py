"""``preference-judge``: the LLM judges two answers of a language model to one question.

The answers come from ``raw.preference_candidates`` (landed by ``riftlab prefer --model RUN``:
two sampled answers of an sft run to each training question).  The judge says which is better and
why; a decisive verdict lands as one row whose attributes hold the chosen and rejected answers,
the verdict and the reason (``main.preference_pairs`` publishes it as a pair with source
``llm-judge``); a tie lands ``rejected`` (kept for audit, never a pair).
"""

from __future__ import annotations

from typing import Any

from augment.engine import Answer
from augment.errors import MalformedAnswer
from augment.landing import AugmentationRow, chat
from augment.tasks.base import Corpus, Task, WorkItem
from warehouse.db import table_exists

VERDICTS = ("a", "b", "tie")


class PreferenceJudge(Task):
    name = "preference-judge"
    kind = "preference"
    prompt = "judge_preference"
    shape = {"better": str, "reason": str}
    help = "Judge two answers of an sft run to each training question (after `riftlab prefer --model RUN`)."

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        if not table_exists(corpus.con, "raw", "preference_candidates"):
            return []
        rows = corpus.con.execute(
            "SELECT candidate_id, question, answer_a, answer_b, champion, split, model "
            "FROM raw.preference_candidates WHERE split = 'train' ORDER BY candidate_id"
        ).fetchall()
        return [
            WorkItem(
                subject=candidate_id,
                inputs={"question": question, "answer_a": a, "answer_b": b},
                source_ids=[f"preference_candidates:{candidate_id}"],
                champion=champion,
                split=split,
                title=question,
                attributes={"answer_a": a, "answer_b": b, "answered_by": model},
            )
            for candidate_id, question, a, b, champion, split, model in rows
        ]

    def validate(self, payload: Any) -> Any:
        payload["better"] = str(payload["better"]).strip().lower()
        if payload["better"] not in VERDICTS:
            raise MalformedAnswer(f"answer.better must be one of {', '.join(VERDICTS)}")
        return payload

    def expected_output_tokens(self, item: WorkItem) -> int | None:
        return 60

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        verdict, reason = outcome.payload["better"], outcome.payload["reason"]
        a, b = item.inputs["answer_a"], item.inputs["answer_b"]
        if verdict == "tie":
            return [self.row(item, outcome, 0, attributes={"verdict": verdict, "reason": reason}, status="rejected",
                             error=f"tie: {reason}")]  # fmt: skip
        chosen, rejected = (a, b) if verdict == "a" else (b, a)
        return [
            self.row(
                item,
                outcome,
                0,
                messages=chat(item.inputs["question"], chosen),
                attributes={"chosen": chosen, "rejected": rejected, "verdict": verdict, "reason": reason},
            )
        ]
