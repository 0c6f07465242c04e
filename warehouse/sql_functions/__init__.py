"""Python functions that SQL models call, registered on the build connection.

They do only what SQL cannot do well (the rules stay in YAML, their logic in SQL), vectorised over
Arrow arrays; the work lives in ``text``, ``minhash`` and ``tokens`` beside this file.

=====================  ================================================================
``html_to_text(html)``  visible text of an HTML fragment (scripts, navigation, tables of
                        contents, reference marks and templates dropped), blocks on lines
``clean_text(text)``    Unicode NFKC, typographic minus/dashes unified, whitespace collapsed
``split_sentences(t)``  sentences (and lines) of a text, in order
``minhash(text)``       64 MinHash values over word 3-shingles (near-duplicate detection)
``minhash_similarity``  estimated Jaccard similarity of two signatures
``chunk_text(t, n, o)`` sentence-packed chunks of at most n tokens with o tokens overlap
``pack_sentences(s, c, n, o)`` the same from sentences already split and counted
``count_tokens(text)``  tokens of the configured chunk tokenizer
``stable_unit(x)``      a SQL macro: md5 of x as a number in [0, 1), for deterministic sampling
``champion_alias_key``  a SQL macro: a champion name or key lowercased, letters and digits only
=====================  ================================================================
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from warehouse.sql_functions.minhash import signatures, similarities
from warehouse.sql_functions.text import clean_texts, html_texts, sentences, sentences_of_column
from warehouse.sql_functions.tokens import fit_sentences, load_tokenizer, pack_chunks, token_counts


def register(con: duckdb.DuckDBPyConnection, project: Any) -> None:
    """Register riftlab's scalar functions on ``con``."""
    variables = project.config["vars"] if project is not None else {}
    tokenizer_spec = str(variables.get("chunk_tokenizer", "minilm"))
    VARCHAR, DOUBLE, INTEGER = duckdb.sqltype("VARCHAR"), duckdb.sqltype("DOUBLE"), duckdb.sqltype("INTEGER")
    SIG = duckdb.list_type(duckdb.sqltype("UBIGINT"))
    CHUNK = duckdb.list_type(duckdb.struct_type({"text": VARCHAR, "n_tokens": INTEGER}))

    def chunk_text(texts, max_tokens, overlaps):
        tokenizer = load_tokenizer(tokenizer_spec)
        out = []
        for text, limit, overlap in zip(texts.to_pylist(), max_tokens.to_pylist(), overlaps.to_pylist(), strict=True):
            parts = sentences(text)
            if not parts:
                out.append([])
                continue
            parts, counts = fit_sentences(tokenizer, parts, int(limit))
            packed = pack_chunks(parts, counts, int(limit), int(overlap))
            out.append([{"text": t, "n_tokens": n} for t, n in packed])
        return pa.array(out, type=pa.list_(pa.struct([("text", pa.string()), ("n_tokens", pa.int32())])))

    def pack_sentences(sentence_lists, count_lists, max_tokens, overlaps):
        out = []
        for parts, counts, limit, overlap in zip(
            sentence_lists.to_pylist(),
            count_lists.to_pylist(),
            max_tokens.to_pylist(),
            overlaps.to_pylist(),
            strict=True,
        ):
            parts, counts = list(parts or []), list(counts or [])
            if any(c > int(limit) for c in counts):  # only oversize sentences are tokenised again
                parts, counts = fit_sentences(load_tokenizer(tokenizer_spec), parts, int(limit))
            out.append([{"text": t, "n_tokens": n} for t, n in pack_chunks(parts, counts, int(limit), int(overlap))])
        return pa.array(out, type=pa.list_(pa.struct([("text", pa.string()), ("n_tokens", pa.int32())])))

    def count_tokens(texts):
        tokenizer = load_tokenizer(tokenizer_spec)
        values = texts.to_pylist()
        present = [v for v in values if v is not None]
        counts = iter(token_counts(tokenizer, present))
        return pa.array([None if v is None else next(counts) for v in values], type=pa.int32())

    functions = [
        ("html_to_text", html_texts, [VARCHAR], VARCHAR),
        ("clean_text", clean_texts, [VARCHAR], VARCHAR),
        ("split_sentences", sentences_of_column, [VARCHAR], duckdb.list_type(VARCHAR)),
        ("minhash", lambda a: pa.array(signatures(a), type=pa.list_(pa.uint64())), [VARCHAR], SIG),
        ("minhash_similarity", similarities, [SIG, SIG], DOUBLE),
        ("chunk_text", chunk_text, [VARCHAR, INTEGER, INTEGER], CHUNK),
        (
            "pack_sentences",
            pack_sentences,
            [duckdb.list_type(VARCHAR), duckdb.list_type(INTEGER), INTEGER, INTEGER],
            CHUNK,
        ),
        ("count_tokens", count_tokens, [VARCHAR], INTEGER),
    ]
    # A hash in [0, 1) that is stable across DuckDB versions (md5), for deterministic sampling and splits.
    con.execute("CREATE OR REPLACE TEMP MACRO stable_unit(x) AS (md5_number(x::VARCHAR) % 1000000) / 1000000.0")
    # How sources' champion names and keys are compared ('Kai'Sa', 'KaiSa', 'kaisa' are one champion).
    con.execute("CREATE OR REPLACE TEMP MACRO champion_alias_key(x) AS regexp_replace(lower(x), '[^a-z0-9]', '', 'g')")
    for name, function, parameters, returns in functions:
        try:
            con.remove_function(name)
        except duckdb.Error:
            pass
        con.create_function(
            name, function, parameters, returns, type="arrow", null_handling="special", side_effects=False
        )
