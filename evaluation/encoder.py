"""The mteb encoder used for every task: sentence-transformers, each distinct text encoded once.

Pair classification encodes both sides of every pair (171 champions -> 10,000 texts for 5,000
pairs); the tasks here repeat a few hundred names, so encoding each distinct text once per
(model, prompt) makes a run about twenty times cheaper on CPU without changing any score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from datasets import Dataset
from mteb.models import SentenceTransformerEncoderWrapper
from torch.utils.data import DataLoader

_TEXT_KEYS = {"text", "id", "title", "instruction"}


def text_loader(texts: list[str], batch_size: int) -> DataLoader:
    """Batches of ``{"text": [...]}``: the input mteb hands an encoder for plain texts, in order."""
    return DataLoader(Dataset.from_dict({"text": texts}), batch_size=batch_size)


def _plain_texts(inputs) -> list[str] | None:
    """Every text of ``inputs`` in order, or None when a batch holds more than text (no caching then)."""
    texts: list[str] = []
    for batch in inputs:
        if not isinstance(batch, dict) or "text" not in batch or set(batch) - _TEXT_KEYS:
            return None
        texts.extend(batch["text"])
    return texts


class DedupEncoder(SentenceTransformerEncoderWrapper):
    """``SentenceTransformerEncoderWrapper`` with a per-prompt cache of text embeddings."""

    def __init__(self, model, name: str, revision: str, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.mteb_model_meta = self.mteb_model_meta.model_copy(update={"name": name, "revision": revision})
        self._cache: dict[tuple[str | None, str], np.ndarray] = {}

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
        context = {"task_metadata": task_metadata, "hf_split": hf_split, "hf_subset": hf_subset}
        texts = _plain_texts(inputs)
        if texts is None:
            return super().encode(inputs, prompt_type=prompt_type, **context, **kwargs)
        prompt = self.get_prompt_name(task_metadata, prompt_type)  # the prompt's key in model_prompts
        missing = list(dict.fromkeys(t for t in texts if (prompt, t) not in self._cache))
        if missing:
            loader = text_loader(missing, batch_size=int(kwargs.get("batch_size", 32)))
            vectors = np.asarray(super().encode(loader, prompt_type=prompt_type, **context, **kwargs))
            self._cache.update({(prompt, text): vector for text, vector in zip(missing, vectors, strict=True)})
        if not texts:
            return np.zeros((0, self.mteb_model_meta.embed_dim or 0), dtype=np.float32)
        return np.stack([self._cache[(prompt, t)] for t in texts])
