"""Corpus composition: tokens, documents and chunks per source, split and champion.

Read from ``main.corpus_chunks`` (so it shows what training will see, after
patch-independence rules and chunking), in the seed's terms: "1,907,871 tokens:
1,526,364 train / 381,507 validation".
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse import db


@dataclass
class CorpusReport:
    totals: dict[str, int]  # tokens, documents, chunks, train_tokens, validation_tokens
    by_source: list[dict]  # source, split, tokens, documents, chunks
    by_champion: list[dict]  # champion, split(s), tokens, documents, chunks

    def headline(self) -> str:
        t = self.totals
        return f"{t['tokens']:,} tokens: {t['train_tokens']:,} train / {t['validation_tokens']:,} validation"


def _dicts(cursor) -> list[dict]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def compute_corpus(con: duckdb.DuckDBPyConnection) -> CorpusReport:
    db.require_table(con, "main", "corpus_chunks", "`riftlab build --select corpus_chunks`")
    (totals,) = _dicts(
        con.execute(
            """
            SELECT coalesce(sum(n_tokens), 0) AS tokens,
                   count(DISTINCT document_id) AS documents,
                   count(*) AS chunks,
                   coalesce(sum(n_tokens) FILTER (WHERE split = 'train'), 0) AS train_tokens,
                   coalesce(sum(n_tokens) FILTER (WHERE split = 'validation'), 0) AS validation_tokens
            FROM main.corpus_chunks
            """
        )
    )
    by_source = _dicts(
        con.execute(
            """
            SELECT coalesce(source, '(none)') AS source, coalesce(split, '(none)') AS split,
                   sum(n_tokens) AS tokens, count(DISTINCT document_id) AS documents, count(*) AS chunks
            FROM main.corpus_chunks
            GROUP BY ROLLUP (1, 2)
            ORDER BY source NULLS LAST, split NULLS LAST
            """
        )
    )
    for row in by_source:  # ROLLUP subtotal rows come back with NULL keys
        if row["source"] is None:
            row["source"], row["split"] = "all sources", "all"
        elif row["split"] is None:
            row["split"] = "all"
    by_champion = _dicts(
        con.execute(
            """
            SELECT coalesce(champion, '(no champion)') AS champion,
                   string_agg(DISTINCT split, '+' ORDER BY split) AS split,
                   sum(n_tokens) AS tokens, count(DISTINCT document_id) AS documents, count(*) AS chunks
            FROM main.corpus_chunks
            GROUP BY 1 ORDER BY tokens DESC, champion
            """
        )
    )
    return CorpusReport(
        totals={k: int(v or 0) for k, v in totals.items()}, by_source=by_source, by_champion=by_champion
    )
