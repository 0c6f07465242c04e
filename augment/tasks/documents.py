"""``paraphrase``: every document rewritten once, in other words, keeping its facts.

A document (``main.corpus_documents``) short enough for one request is
paraphrased whole; a longer one in windows of its consecutive chunks.  Without
a documents table, the chunks' documents are used window by window.
"""

from __future__ import annotations

from typing import Any

from augment.engine import Answer
from augment.inputs import Window, by_document, windows
from augment.landing import AugmentationRow
from augment.requests import CHARS_PER_TOKEN
from augment.tasks.base import Corpus, Task, WorkItem


class Paraphrase(Task):
    name = "paraphrase"
    kind = "paraphrase"
    prompt = "paraphrase"
    shape = {"paraphrase": str}
    help = "Paraphrase every document once (long ones in consecutive parts); inherits the source's split."

    def items(self, corpus: Corpus, settings: dict[str, Any]) -> list[WorkItem]:
        budget = int(settings["paraphrase_max_tokens"])
        if corpus.documents is None:
            return [self._window_item(corpus, window) for window in windows(corpus.chunks, budget)]
        chunks = by_document(corpus.chunks)
        items = []
        for document in corpus.documents:
            if len(document.text) // CHARS_PER_TOKEN <= budget:
                items.append(
                    WorkItem(
                        subject=document.document_id,
                        inputs={
                            "text": document.text,
                            "section": document.section_path or document.title or "",
                            "source": document.source,
                            "champion": corpus.name_of(document.champion) or "",
                        },
                        source_ids=[document.document_id],
                        champion=document.champion,
                        split=document.split,
                        title=document.title,
                        attributes={
                            "source_document_id": document.document_id,
                            "source": document.source,
                            "section_path": document.section_path or "",
                        },
                    )
                )
            else:
                items.extend(
                    self._window_item(corpus, w) for w in windows(chunks.get(document.document_id, []), budget)
                )
        return items

    @staticmethod
    def _window_item(corpus: Corpus, window: Window) -> WorkItem:
        first = window.first
        return WorkItem(
            subject=window.subject,
            inputs={
                "text": window.text,
                "section": first.section or "",
                "source": first.source,
                "champion": corpus.name_of(first.champion) or "",
            },
            source_ids=window.source_ids,
            champion=first.champion,
            split=first.split,
            title=first.section,
            attributes={
                "source_document_id": first.document_id,
                "source": first.source,
                "section_path": first.section or "",
            },
        )

    def expected_output_tokens(self, item: WorkItem) -> int:
        return len(item.inputs["text"]) // CHARS_PER_TOKEN + 20  # a paraphrase is about as long as its source

    def rows(self, item: WorkItem, outcome: Answer) -> list[AugmentationRow]:
        return [self.row(item, outcome, 0, text=outcome.payload["paraphrase"].strip())]
