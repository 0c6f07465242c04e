"""What every step of an ``embed`` preset is: a typed settings model that knows how to apply itself.

A step's fields are its settings (checked like every preset key); :meth:`Step.apply` does its work
on the run's :class:`training.embed.EmbedState`.  Step modules import torch only inside ``apply``,
so loading and checking a preset stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from warehouse.config import Settings

if TYPE_CHECKING:
    from training.embed import EmbedState


class Step(Settings):
    """One phase of an embed run, named in a preset's ``steps`` by :attr:`name`."""

    #: the step's name in a preset (``- head: {...}``) and in ``--set head.KEY=VALUE``
    name: ClassVar[str]
    #: the base it works on: "encoder" (a sentence-transformers folder), "decoder", or None (either)
    needs: ClassVar[Literal["encoder", "decoder"] | None] = None
    #: part of making the encoder (llm2vec, adapter, simcse): the run's ``*_before`` metrics are measured
    #: after the leading steps that are, so they describe the encoder the later steps start from
    makes_encoder: ClassVar[bool] = False
    #: reads main.corpus_chunks (the split its ``corpus_split`` names)
    reads_corpus: ClassVar[bool] = False
    #: reads main.champion_mask_terms (to hide each champion's names in its chunks)
    reads_mask_terms: ClassVar[bool] = False

    def apply(self, state: EmbedState) -> None:
        raise NotImplementedError


class CorpusStep(Step):
    """A step that learns from corpus text only (no label)."""

    reads_corpus: ClassVar[bool] = True

    corpus_split: Literal["train", "all"] = "train"
    """corpus_chunks read: the train split, or all (the chunks reserved as evaluation queries never are)."""
