"""Every key a stage preset may set, with its default value.

A preset file (``training/configs/*.yaml``) and ``--set key=value`` overrides are
merged over these mappings; a key that is not here is an error naming the key,
the file and the closest known key.  Keeping the schema in plain dicts (no torch
import) lets ``riftlab train --help`` and config checks stay instant.
"""

from __future__ import annotations

from typing import Any

#: LoRA adapter settings shared by every stage that can use one.
LORA: dict[str, Any] = {
    "r": 8,
    "alpha": 16,
    "dropout": 0.05,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "bias": "none",
}

#: Settings of the Hugging Face Trainer loop common to clm and sft.
_LOOP: dict[str, Any] = {
    "epochs": 1.0,
    "max_steps": -1,  # > 0 stops after that many optimiser steps (smoke runs)
    "learning_rate": 2e-4,
    "weight_decay": 0.0,
    "warmup_ratio": 0.0,
    "lr_scheduler": "linear",
    "batch_size": 8,
    "grad_accum": 1,
    "eval_batch_size": 8,
    "precision": "auto",  # auto (bf16 where supported), bf16, fp16, fp32
    "gradient_checkpointing": None,  # null = only when memory needs it (CUDA, long blocks); true; false
    "attn_implementation": "sdpa",  # sdpa, eager, flash_attention_2
    "logging_steps": 10,
    "seed": 42,
    "dataloader_workers": 0,
}

CLM: dict[str, Any] = {
    "base": None,  # path to a decoder checkpoint (required)
    "max_seq_length": 512,
    "packing": True,  # concatenate chunks into full blocks of max_seq_length tokens
    "lora_preset": None,  # light, balanced, full-coverage (training/configs/lora_*.yaml)
    "lora": dict(LORA),
    "merge": False,  # also save the base with the adapter merged in (merged/)
    **_LOOP,
}

SFT: dict[str, Any] = {
    "base": None,  # a decoder checkpoint or a merged clm output (required)
    "chat_template": "chatml",  # chatml, or a Jinja template; used when the base has none
    "assistant_only_loss": True,
    "max_seq_length": 512,
    "packing": False,
    "kinds": [],  # instruct_pairs.kind values to use ([] = all)
    "lora_preset": None,
    "lora": dict(LORA),
    "use_lora": True,
    "merge": False,
    **_LOOP,
}

EMBED: dict[str, Any] = {
    "base": "minilm",  # minilm, a sentence-transformers folder, or a decoder checkpoint
    "pooling": "mean",  # for decoders: lasttoken or mean (encoders keep their own pooling)
    "max_seq_length": 128,
    "loss": "mnrl",  # mnrl (with the hard negatives), triplet, cached_mnrl
    "cached_mini_batch_size": 32,  # cached_mnrl: rows per forward pass
    "triplet_margin": 5.0,  # triplet loss margin (euclidean)
    "kinds": ["champion", "text"],  # triplet kinds mixed into training
    "max_train_triplets": 0,  # cap on training rows (0 = all), sampled deterministically
    # extra (name, chunk about it with the words naming it masked, random chunk about another) rows
    # drawn from the train split of corpus_chunks
    "corpus_pairs_per_champion": 0,
    # whose chunks feed those rows: train (champions of embedding_split 'train'), or all
    # (every champion's corpus text, held-out ones included; no label of theirs is used)
    "corpus_pairs_scope": "train",
    "max_validation_triplets": 1000,
    "epochs": 1.0,
    "batch_size": 32,
    "learning_rate": 5e-5,
    "warmup_ratio": 0.1,
    "weight_decay": 0.01,
    "eval_steps": 0,  # 0 = evaluate half-way and at the end
    "logging_steps": 5,
    "seed": 42,
    "use_lora": False,  # decoders: train a LoRA adapter instead of all weights
    "lora_preset": None,
    "lora": dict(LORA),
    # none; vocabulary (encoders): give each champion name its own token, its embedding learned from the
    # corpus text around the name (masked, encoder frozen; training/vocabulary.py); inversion (encoders):
    # the same token fitted to the embedding of the champion's masked chunks; or llm2vec (decoders):
    # bidirectional attention, masked next-token prediction, unsupervised SimCSE (training/llm2vec.py).
    # Each reads corpus text only, before the triplet training (inversion may run after it: invert_phase).
    "adaptation": "none",
    "adapt_corpus_split": "train",  # corpus_chunks read by the adaptation: train or all
    "adapt_min_mentions": 5,  # vocabulary: names mentioned less often keep their word-piece average
    # share of tokens masked (vocabulary: ordinary tokens, to fit the tied masked-LM head; llm2vec: MNTP)
    "adapt_mask_ratio": 0.15,
    "adapt_mntp_steps": 200,  # llm2vec: masked next-token prediction steps (LoRA from `lora`, then merged)
    "adapt_simcse_steps": 100,  # llm2vec: unsupervised SimCSE steps (0 skips it)
    "adapt_learning_rate": 5e-5,  # llm2vec: both steps
    "adapt_dropout": 0.3,  # llm2vec: attention dropout during SimCSE (its two views of each text)
    "adapt_ridge": 1.0,  # vocabulary: ridge penalty of the masked-LM head
    "adapt_batch_size": 32,  # texts per batch when an adaptation reads or encodes the corpus
    "adapt_max_seq_length": 256,
    # inversion (encoders): each champion-name token fitted so the bare name embeds where its masked
    # corpus chunks do (training/inversion.py)
    "invert_phase": "before",  # before the triplet training, or after it (as the trained model reads the descriptions)
    "invert_steps": 80,
    "invert_learning_rate": 2e-2,
    "invert_min_chunks": 2,  # names with fewer chunks keep their word-piece average
    # keep the input token embeddings fixed, so what triplets teach lives in the layers above them and
    # carries over to names never in a triplet
    "freeze_token_embeddings": False,
    # label head (training/head.py): a linear map fitted on the training triplets over the frozen
    # embedding, appended beside it (Dense d -> 2d, then Normalize); epochs: 0 fits it alone
    "label_head": False,
    "head_steps": 300,
    "head_learning_rate": 1e-2,
    "head_weight": 2.0,  # the mapped half's scale beside the embedding as it was (retrieval keeps the latter)
}

STAGES: dict[str, dict[str, Any]] = {"embed": EMBED, "clm": CLM, "sft": SFT}
