"""MinHash signatures over word 3-shingles, for near-duplicate detection (LSH bands in SQL).

Words are the same as ever (``[a-z0-9]+(?:'[a-z]+)?`` over the lowercased text), but found by Arrow
compute kernels over a whole step of documents, each distinct word hashed once, the shingles' hashes
mixed with numpy, and the signatures computed by rensa (a maintained Rust MinHash): no Python loop
over words or shingles.  ``benchmarks/build_scale.py`` measures it against the NumPy version this
replaced (which hashed every shingle in Python), and
``tests/warehouse/test_sql_functions.py`` checks that both find the same near-duplicate pairs.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rensa

MINHASH_PERMUTATIONS = 64
#: rensa's permutation seed: fixed, so signatures (and near-duplicate pairs) are the same on every build.
SEED = 20251019
#: Documents per step: bounds the flat token arrays (a step of long pages stays well under 100 MB).
DOCS_PER_STEP = 4096

#: A word may carry one apostrophe suffix (``kai'sa``); the apostrophe is kept as \x01 while splitting,
#: so that every other apostrophe separates words as in the regular expression above.
_APOSTROPHE_WORD = r"([a-z0-9]+)'([a-z]+)"
#: Bytes that belong to words; every other byte (UTF-8 lead and continuation bytes included) becomes a space.
_WORD_BYTES = np.full(256, ord(" "), dtype=np.uint8)
_WORD_BYTES[list(b"abcdefghijklmnopqrstuvwxyz0123456789\x01")] = list(b"abcdefghijklmnopqrstuvwxyz0123456789\x01")
#: The hash of a missing word: shingles of one- and two-word texts.
_PAD = np.uint64(0x9E3779B97F4A7C15)
_MIX_1, _MIX_2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT = np.uint64(33)


def _fmix(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (wrapping arithmetic): spreads every input bit over the output."""
    x = x ^ (x >> _SHIFT)
    x = x * _MIX_1
    x = x ^ (x >> _SHIFT)
    x = x * _MIX_2
    return x ^ (x >> _SHIFT)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _blank_separators(texts: pa.StringArray) -> pa.StringArray:
    """``texts`` with every byte outside words replaced by a space (one table look-up per byte, same lengths)."""
    validity, offsets, data = texts.buffers()
    if data is None:  # only empty strings
        return texts
    blanked = _WORD_BYTES[np.frombuffer(data, dtype=np.uint8)]
    return pa.StringArray.from_buffers(
        len(texts), offsets, pa.py_buffer(blanked), validity, texts.null_count, texts.offset
    )


def _words(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The words of every text, flat, and how many each text has."""
    lowered = pc.utf8_lower(texts)
    marked = pc.replace_substring_regex(lowered, _APOSTROPHE_WORD, "\\1\x01\\2 ")
    split = pc.ascii_split_whitespace(_blank_separators(marked))
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split).to_numpy()
    keep = pc.greater(pc.binary_length(flat), 0)
    counts = np.bincount(parents[keep.to_numpy(zero_copy_only=False)], minlength=len(texts))
    return pc.filter(flat, keep), counts


def _shingle_hashes(words: pa.Array, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One 64-bit hash per word 3-shingle (a text of one or two words: one shingle), and row offsets."""
    encoded = pc.dictionary_encode(words)
    vocabulary = np.fromiter(
        (_word_hash(w) for w in encoded.dictionary.to_pylist()), dtype=np.uint64, count=len(encoded.dictionary)
    )
    hashes = vocabulary[encoded.indices.to_numpy()] if len(words) else np.zeros(0, dtype=np.uint64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    document = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(hashes)) - starts[document]
    following = [np.full(len(hashes), _PAD, dtype=np.uint64) for _ in range(2)]
    for shift, out in enumerate(following, start=1):
        inside = position[:-shift] + shift < counts[document[:-shift]]
        out[:-shift][inside] = hashes[shift:][inside]
    mixed = _fmix(_fmix(_fmix(hashes) ^ following[0]) ^ following[1])
    kept = position <= np.maximum(counts[document] - 3, 0)
    shingles_per_document = np.where(counts > 0, np.maximum(counts - 2, 1), 0)
    offsets = np.concatenate(([0], np.cumsum(shingles_per_document))).astype(np.uint64)
    return np.ascontiguousarray(mixed[kept]), offsets


def signatures(texts: list[str | None] | pa.Array, docs_per_step: int = DOCS_PER_STEP) -> list[list[int] | None]:
    """MinHash signatures of many texts at once (``None`` for a missing text); an empty text has one too."""
    array = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, type=pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    out: list[list[int] | None] = [None] * len(array)
    present = np.flatnonzero(array.is_valid().to_numpy(zero_copy_only=False))
    for start in range(0, len(present), docs_per_step):
        step = present[start : start + docs_per_step]
        words, counts = _words(array.take(pa.array(step)))
        hashes, offsets = _shingle_hashes(words, counts)
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, MINHASH_PERMUTATIONS, SEED)
        for i, row in zip(step.tolist(), matrix.to_rows(), strict=True):
            out[i] = row
    return out


def signature(text: str | None) -> list[int] | None:
    return signatures([text])[0]


def similarity(a: list[int] | None, b: list[int] | None) -> float | None:
    if a is None or b is None:
        return None
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def _rows(signatures: pa.Array) -> np.ndarray | None:
    """Signatures of one length as a matrix (None when their lengths differ)."""
    lengths = pc.list_value_length(signatures).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != lengths[0]).any():
        return None
    return signatures.flatten().to_numpy(zero_copy_only=False).reshape(len(signatures), -1)


def similarities(a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`similarity` of many pairs of signatures at once (null where either is null)."""
    a, b = (x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x for x in (a, b))
    valid = pc.and_(a.is_valid(), b.is_valid()).to_numpy(zero_copy_only=False)
    out = np.zeros(len(a))
    present = pa.array(np.flatnonzero(valid))
    left, right = _rows(a.take(present)), _rows(b.take(present))
    if left is not None and right is not None and left.shape == right.shape:
        out[valid] = (left == right).mean(axis=1) if left.size else 0.0
    else:
        out[valid] = [
            similarity(x, y) for x, y in zip(a.take(present).to_pylist(), b.take(present).to_pylist(), strict=True)
        ]
    return pa.array(out, mask=~valid, type=pa.float64())
