"""Every key a stage preset may set: its type, its allowed range or set, and its default.

A preset file (``training/configs/*.yaml``) and ``--set key=value`` overrides are
merged over these defaults and checked against these models (see
:mod:`training.presets`); an unknown key or a bad value is one line naming the
file, the key, the value and what is allowed.  The models import no torch, so
``riftlab train --help`` and config checks stay instant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from warehouse.config import Seed, Settings, Text

#: Named LoRA presets: training/configs/lora_<name>.yaml.
LoraPresetName = Literal["light", "balanced", "full-coverage"]
#: Embedding losses, poolings and adaptations (training/embed.py).
LOSSES = ("mnrl", "triplet", "cached_mnrl")
POOLING = ("lasttoken", "mean")
ADAPTATIONS = ("none", "vocabulary", "inversion", "llm2vec")


class Lora(Settings):
    """LoRA adapter settings shared by every stage that can use one."""

    r: int = Field(8, ge=1)
    """Rank of the update matrices."""
    alpha: int = Field(16, ge=1)
    """Scale of the update (alpha / r)."""
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[Text] = Field(["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1)
    """Names of the linear layers that get an adapter."""
    bias: Literal["none", "all", "lora_only"] = "none"


class Loop(Settings):
    """Settings of the Hugging Face Trainer loop common to clm and sft."""

    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, ge=-1)
    """> 0 stops after that many optimiser steps (smoke runs); -1: run the epochs."""
    learning_rate: float = Field(2e-4, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_ratio: float = Field(0.0, ge=0, le=1)
    lr_scheduler: Literal[
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt"
    ] = "linear"
    batch_size: int = Field(8, ge=1)
    grad_accum: int = Field(1, ge=1)
    eval_batch_size: int = Field(8, ge=1)
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    """auto: bf16 where supported."""
    gradient_checkpointing: bool | None = None
    """null: only when memory needs it (CUDA, long blocks); true; false."""
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] = "sdpa"
    logging_steps: int = Field(10, ge=1)
    seed: Seed = 42
    dataloader_workers: int = Field(0, ge=0)


class Clm(Loop):
    """Causal-LM fine-tuning with a LoRA adapter."""

    base: Text | None = None
    """Path to a decoder checkpoint (required: here or with --base)."""
    max_seq_length: int = Field(512, ge=1)
    packing: bool = True
    """Concatenate chunks into full blocks of max_seq_length tokens."""
    lora_preset: LoraPresetName | None = None
    """A named LoRA preset (training/configs/lora_*.yaml); the preset's own lora keys win over it."""
    lora: Lora = Lora()
    merge: bool = False
    """Also save the base with the adapter merged in (merged/)."""


class Sft(Loop):
    """Instruction SFT with TRL."""

    base: Text | None = None
    """A decoder checkpoint or a merged clm output (required: here or with --base)."""
    chat_template: Text = "chatml"
    """chatml, or a Jinja template; used when the base has none."""
    assistant_only_loss: bool = True
    max_seq_length: int = Field(512, ge=1)
    packing: bool = False
    kinds: list[Text] = []
    """instruct_pairs.kind values to use ([] = all)."""
    lora_preset: LoraPresetName | None = None
    lora: Lora = Lora()
    use_lora: bool = True
    merge: bool = False


class Embed(Settings):
    """Embedding model training on the triplets with sentence-transformers."""

    base: Text | None = "minilm"
    """minilm, a sentence-transformers folder, or a decoder checkpoint."""
    pooling: Literal[POOLING] = "mean"  # type: ignore[valid-type]
    """For decoders: lasttoken or mean (encoders keep their own pooling)."""
    max_seq_length: int = Field(128, ge=1)
    loss: Literal[LOSSES] = "mnrl"  # type: ignore[valid-type]
    """mnrl (with the hard negatives), triplet, cached_mnrl."""
    cached_mini_batch_size: int = Field(32, ge=1)
    """cached_mnrl: rows per forward pass."""
    triplet_margin: float = Field(5.0, gt=0)
    """Triplet loss margin (euclidean)."""
    kinds: list[Literal["champion", "text"]] = Field(["champion", "text"], min_length=1)
    """Triplet kinds mixed into training."""
    max_train_triplets: int = Field(0, ge=0)
    """Cap on training rows (0 = all), sampled deterministically."""
    corpus_pairs_per_champion: int = Field(0, ge=0)
    """Extra (name, chunk about it with its names masked, chunk about another) rows from the corpus train split."""
    corpus_pairs_scope: Literal["train", "all"] = "train"
    """Whose chunks feed those rows: train (champions of embedding_split 'train') or all (no label of theirs is used)."""
    max_validation_triplets: int = Field(1000, ge=0)
    """Cap on validation rows (0 = all)."""
    epochs: float = Field(1.0, ge=0)
    """Epochs of triplet training (0: the encoder is not trained on the triplets)."""
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(5e-5, gt=0)
    warmup_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)
    eval_steps: int = Field(0, ge=0)
    """0 = evaluate half-way and at the end."""
    logging_steps: int = Field(5, ge=1)
    seed: Seed = 42
    use_lora: bool = False
    """Decoders: train a LoRA adapter instead of all weights."""
    lora_preset: LoraPresetName | None = None
    lora: Lora = Lora()
    adaptation: Literal[ADAPTATIONS] = "none"  # type: ignore[valid-type]
    """Before the triplets, from corpus text only: vocabulary or inversion (encoders: each champion name gets its own
    token; training/vocabulary.py, training/inversion.py), or llm2vec (decoders; training/llm2vec.py)."""
    adapt_corpus_split: Literal["train", "all"] = "train"
    """corpus_chunks read by the adaptation."""
    adapt_min_mentions: int = Field(5, ge=0)
    """vocabulary: names mentioned less often keep their word-piece average."""
    adapt_mask_ratio: float = Field(0.15, gt=0, lt=1)
    """Share of tokens masked (vocabulary: ordinary tokens; llm2vec: MNTP)."""
    adapt_mntp_steps: int = Field(200, ge=0)
    """llm2vec: masked next-token prediction steps (LoRA from `lora`, then merged)."""
    adapt_simcse_steps: int = Field(100, ge=0)
    """llm2vec: unsupervised SimCSE steps (0 skips it)."""
    adapt_learning_rate: float = Field(5e-5, gt=0)
    adapt_dropout: float = Field(0.3, ge=0, lt=1)
    """llm2vec: attention dropout during SimCSE (its two views of each text)."""
    adapt_ridge: float = Field(1.0, gt=0)
    """vocabulary: ridge penalty of the masked-LM head."""
    adapt_batch_size: int = Field(32, ge=1)
    """Texts per batch when an adaptation reads or encodes the corpus."""
    adapt_max_seq_length: int = Field(256, ge=1)
    invert_phase: Literal["before", "after"] = "before"
    """inversion: before the triplet training, or after it."""
    invert_steps: int = Field(80, ge=1)
    invert_learning_rate: float = Field(2e-2, gt=0)
    invert_min_chunks: int = Field(2, ge=1)
    """inversion: names with fewer chunks keep their word-piece average."""
    freeze_token_embeddings: bool = False
    """Keep the input token embeddings fixed, so what triplets teach carries over to names never in a triplet."""
    label_head: bool = False
    """Append a linear map fitted on the training triplets over the frozen embedding (training/head.py)."""
    head_steps: int = Field(300, ge=1)
    head_learning_rate: float = Field(1e-2, gt=0)
    head_weight: float = Field(2.0, gt=0)
    """The mapped half's scale beside the embedding as it was."""


#: stage -> the model of its presets.
STAGES: dict[str, type[Settings]] = {"embed": Embed, "clm": Clm, "sft": Sft}
