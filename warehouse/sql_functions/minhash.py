"""MinHash signatures over word 3-shingles, for near-duplicate detection (LSH bands in SQL)."""

from __future__ import annotations

import re
import zlib

import numpy as np

MINHASH_PERMUTATIONS = 64
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20251019)
_A = _rng.integers(1, _PRIME, MINHASH_PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, MINHASH_PERMUTATIONS, dtype=np.uint64)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


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
