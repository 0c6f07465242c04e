"""What the tasks read from the warehouse: ``main.corpus_chunks`` and ``main.champions``.

Both are published by ``riftlab build`` (``main.corpus_documents`` gives whole documents where it
exists); a missing one is a one-line error naming the command that makes it.  Augmented text the
corpus took in (sources ``augment:*``) is never read back, so nothing is paraphrased twice.
Grouping helpers turn chunks into a task's units: documents, windows of chunks, grounding text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from warehouse.db import require_table, table_exists


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    document_id: str
    source: str
    champion: str | None
    section: str | None
    text: str
    n_tokens: int
    split: str


@dataclass(frozen=True)
class Champion:
    key: str
    name: str
    title: str | None
    positions: tuple[str, ...]
    classes: tuple[str, ...]
    subclasses: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """Consecutive chunks of one document, used together as one request's grounding."""

    chunks: tuple[Chunk, ...]

    @property
    def first(self) -> Chunk:
        return self.chunks[0]

    @property
    def subject(self) -> str:
        return f"{self.first.document_id}#{self.first.chunk_id}"

    @property
    def text(self) -> str:
        return "\n\n".join(c.text for c in self.chunks)

    @property
    def source_ids(self) -> list[str]:
        return [c.chunk_id for c in self.chunks]

    @property
    def n_tokens(self) -> int:
        return sum(c.n_tokens for c in self.chunks)


def load_chunks(con: duckdb.DuckDBPyConnection) -> list[Chunk]:
    require_table(con, "main", "corpus_chunks", "`riftlab build`")
    rows = con.execute(
        """SELECT chunk_id, document_id, source, champion, section, text, coalesce(n_tokens, 0), split
           FROM main.corpus_chunks
           WHERE text IS NOT NULL AND trim(text) <> '' AND source NOT LIKE 'augment:%'
           ORDER BY document_id, chunk_id"""
    ).fetchall()
    return [Chunk(*row) for row in rows]


@dataclass(frozen=True)
class Document:
    document_id: str
    source: str
    url: str | None
    champion: str | None
    title: str | None
    section_path: str | None
    text: str
    split: str


def load_documents(con: duckdb.DuckDBPyConnection) -> list[Document] | None:
    """Whole crawled documents (``main.corpus_documents``), or None where the corpus has no such table."""
    if not table_exists(con, "main", "corpus_documents"):
        return None
    rows = con.execute(
        """SELECT document_id, source, url, champion, title, section_path, text, split
           FROM main.corpus_documents
           WHERE text IS NOT NULL AND trim(text) <> '' AND source NOT LIKE 'augment:%'
           ORDER BY document_id"""
    ).fetchall()
    return [Document(*row) for row in rows]


def load_champions(con: duckdb.DuckDBPyConnection) -> list[Champion]:
    require_table(con, "main", "champions", "`riftlab build`")
    rows = con.execute(
        """SELECT champion_key, name, title, coalesce(positions, []), coalesce(classes, []), coalesce(subclasses, [])
           FROM main.champions ORDER BY champion_key"""
    ).fetchall()
    return [Champion(r[0], r[1], r[2], tuple(r[3]), tuple(r[4]), tuple(r[5])) for r in rows]


def by_document(chunks: Iterable[Chunk]) -> dict[str, list[Chunk]]:
    documents: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        documents[chunk.document_id].append(chunk)
    return dict(documents)


def windows(chunks: Iterable[Chunk], max_tokens: int) -> list[Window]:
    """Consecutive chunks of each document packed up to ``max_tokens`` (a chunk is never cut)."""
    result: list[Window] = []
    for document_chunks in by_document(chunks).values():
        current: list[Chunk] = []
        size = 0
        for chunk in document_chunks:
            if current and size + chunk.n_tokens > max_tokens:
                result.append(Window(tuple(current)))
                current, size = [], 0
            current.append(chunk)
            size += chunk.n_tokens
        if current:
            result.append(Window(tuple(current)))
    return result


def grounding(chunks: Iterable[Chunk], max_tokens: int) -> list[Chunk]:
    """The leading chunks (in document order) that fit in ``max_tokens``; at least one."""
    chosen: list[Chunk] = []
    size = 0
    for chunk in chunks:
        if chosen and size + chunk.n_tokens > max_tokens:
            break
        chosen.append(chunk)
        size += chunk.n_tokens
    return chosen


def champion_splits(chunks: Iterable[Chunk]) -> dict[str, str]:
    """Each champion's split: the one its chunks have (the corpus splits by champion group)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for chunk in chunks:
        if chunk.champion:
            counts[chunk.champion][chunk.split] += 1
    return {champion: counter.most_common(1)[0][0] for champion, counter in counts.items()}
