"""A check the tests of riftlab's checkpoint modules share: saved, the module is named in modules.json, and
reloaded through the allow-list (no checkpoint code runs) the model embeds as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def reloads_the_same(model, folder: Path, module_type: str, texts: list[str]):
    """Save ``model`` to ``folder``, check ``module_type`` is in its modules.json, reload it; returns the reload."""
    from training.bases import load_sentence_transformer

    before = model.encode(texts)
    model.save(str(folder))
    types = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
    assert module_type in types
    reloaded = load_sentence_transformer(folder)
    assert reloaded.encode(texts) == pytest.approx(before, abs=1e-5)
    return reloaded
