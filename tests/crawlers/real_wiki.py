"""Where the real recorded wiki material lives (../shared/data/real/wiki/wikitext); tests skip without it."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_WIKITEXT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "wiki" / "wikitext"


def real_wikitext() -> Path:
    if not (REAL_WIKITEXT / "Aatrox.txt").is_file():
        pytest.skip("../shared/data/real/wiki/wikitext is not present")
    return REAL_WIKITEXT


def read(title: str) -> str:
    """The recording of ``title`` (a ``/`` in a title is ``-`` in its file name)."""
    return (real_wikitext() / f"{title.replace('/', '-')}.txt").read_text(encoding="utf-8")
