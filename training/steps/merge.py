"""Fold the LoRA adapter into the weights, so the checkpoint holds full weights.

An adapter saved on its own would point at a base that may move (or, after llm2vec, was temporary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from training.steps.base import Step

if TYPE_CHECKING:
    from training.embed import EmbedState


class Merge(Step):
    """Merge the ``adapter`` step's LoRA layers into the model's own weights."""

    name: ClassVar[str] = "merge"

    def apply(self, state: EmbedState) -> None:
        from training.lora import merge_adapters

        state.metrics["merged_lora_layers"] = merge_adapters(state.model[0].auto_model)
