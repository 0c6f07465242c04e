"""The bidirectional decoder module of LLM2Vec-adapted checkpoints (:mod:`training.steps.llm2vec`).

A checkpoint's ``modules.json`` names :class:`BidirectionalTransformer` by this module's path, so
riftlab's loader (:func:`training.bases.load_sentence_transformer`, whose allow-list names the
class) restores the bidirectional attention when it reloads the model.
"""

from __future__ import annotations

from typing import Any

from sentence_transformers.sentence_transformer.modules import Transformer


def make_bidirectional(model) -> int:
    """Let every attention layer of ``model`` see the whole sequence; returns the layers changed."""
    changed = 0
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "num_attention_heads"):
            config.is_causal = False  # saved with the model; transformers then builds bidirectional masks
        if getattr(module, "is_causal", None) is True:
            module.is_causal = False
            changed += 1
    return changed


class BidirectionalTransformer(Transformer):
    """A sentence-transformers ``Transformer`` whose decoder attends in both directions.

    Saved as this class in ``modules.json``, so reloading the checkpoint re-applies
    :func:`make_bidirectional` (the attention modules set ``is_causal`` in their own
    ``__init__``, whatever the saved config says).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make_bidirectional(self.auto_model)
