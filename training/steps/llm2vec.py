"""LLM2Vec's first steps on a decoder base (BehnamGhader et al., 2024), written for transformers 5.

The ``llm2vec`` package pins transformers 4.x, so its recipe is built in-project.  Attention is
made bidirectional (:mod:`training.llm2vec`), then masked next-token prediction (MNTP) trains a
LoRA adapter on corpus chunks: a share of tokens is masked and the token at *i* is predicted from
the logits at *i - 1*, as the causal LM head expects, so the model learns to read both sides.  The
adapter is merged and the run's model is rebuilt from the result; corpus text only, no label.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState

#: the folder (in the run's) that holds the MNTP output until the model is rebuilt from it
MNTP_FOLDER = "llm2vec_mntp"


class Llm2Vec(CorpusStep):
    """Bidirectional attention and MNTP with a LoRA adapter (the preset's ``lora``), merged (decoders; first)."""

    name: ClassVar[str] = "llm2vec"
    needs: ClassVar[Literal["decoder"]] = "decoder"
    makes_encoder: ClassVar[bool] = True

    steps: int = Field(200, ge=1)
    """Masked next-token prediction steps."""
    learning_rate: float = Field(5e-5, gt=0)
    mask_ratio: float = Field(0.15, gt=0, lt=1)
    """Share of tokens masked."""
    batch_size: int = Field(32, ge=1)
    """Texts per step."""
    max_seq_length: int = Field(256, ge=1)

    def apply(self, state: EmbedState) -> None:
        from tqdm.auto import tqdm

        from training.decoders import decoder_source

        started = time.perf_counter()
        texts = state.data.corpus_texts(self.corpus_split)
        folder = state.folder / MNTP_FOLDER
        stats = mntp(
            decoder_source(state.data.base_path),
            texts,
            self,
            state.preset.lora.model_dump(),
            state.preset.seed,
            folder,
            progress=lambda batches, total, what: tqdm(batches, total=total, desc=f"LLM2Vec {what}", unit="batch"),
        )
        state.metrics.update(
            {
                "llm2vec_bidirectional_layers": stats["layers"],
                "llm2vec_mntp_steps": stats["steps"],
                "llm2vec_mntp_loss_before": round(stats["loss_before"], 4),
                "llm2vec_mntp_loss_after": round(stats["loss_after"], 4),
                "llm2vec_mntp_seconds": round(time.perf_counter() - started, 1),
            }
        )
        state.console.print(
            f"LLM2Vec: {stats['layers']} attention layers made bidirectional; MNTP {stats['steps']} steps on "
            f"{len(texts)} chunks, loss on a fixed batch {stats['loss_before']:.3f} -> {stats['loss_after']:.3f}"
        )
        state.rebuild(folder, bidirectional=True)
        shutil.rmtree(folder)  # its weights are in the model now; the checkpoint saves them again


def _batches(texts: list[str], size: int, steps: int, seed: int) -> Iterable[list[str]]:
    """``steps`` batches of ``size`` texts, cycling through a seeded shuffle."""
    import random

    order = list(texts)
    rng = random.Random(seed)
    rng.shuffle(order)
    position = 0
    for _ in range(steps):
        batch = [order[(position + i) % len(order)] for i in range(min(size, len(order)))]
        position += len(batch)
        yield batch


def mask_id(tokenizer) -> int:
    """The id that hides a token: the tokenizer's mask token, else unk, else pad."""
    for token_id in (tokenizer.mask_token_id, tokenizer.unk_token_id, tokenizer.pad_token_id):
        if token_id is not None:
            return int(token_id)
    raise ValueError("the tokenizer has no mask, unk or pad token to hide tokens with")


def mntp_loss(model, tokenizer, texts: list[str], ratio: float, max_length: int, generator) -> Any:
    """Masked next-token prediction loss of one batch (bidirectional attention assumed)."""
    import torch

    encoded = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    ids, attention = encoded["input_ids"], encoded["attention_mask"]
    special = torch.isin(ids, torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=ids.dtype))
    candidates = attention.bool() & ~special
    candidates[:, 0] = False  # position 0 has no previous position to predict it from
    masked = (torch.rand(ids.shape, generator=generator) < ratio) & candidates
    if not masked.any():  # a batch of very short texts: hide one token anyway
        rows, cols = candidates.nonzero(as_tuple=True)
        masked[rows[0], cols[0]] = True
    inputs = ids.masked_fill(masked, mask_id(tokenizer))
    labels = torch.full_like(ids, -100).masked_scatter(masked, ids[masked])
    logits = model(input_ids=inputs, attention_mask=attention).logits
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1), ignore_index=-100
    )


def mntp(
    source: Path, texts: list[str], settings: Llm2Vec, lora: dict[str, Any], seed: int, folder: Path, progress: Callable
) -> dict[str, Any]:
    """Train MNTP with a LoRA adapter (``lora``) on the decoder at ``source``; save the merged model to ``folder``.

    Returns the steps run, the layers made bidirectional, and the MNTP loss on one fixed batch
    (the same texts and masked positions) before and after training.
    """
    import torch
    from peft import get_peft_model

    from training.decoders import load_causal_lm, load_tokenizer
    from training.llm2vec import make_bidirectional
    from training.lora import check_targets, lora_config

    model = load_causal_lm(source)
    tokenizer = load_tokenizer(source)
    layers = make_bidirectional(model)
    check_targets(model, lora)
    model = get_peft_model(model, lora_config(lora, "CAUSAL_LM"))
    ratio, length = settings.mask_ratio, settings.max_seq_length
    probe = next(iter(_batches(texts, settings.batch_size, 1, seed + 1)))

    def probe_loss() -> float:
        model.eval()
        with torch.no_grad():
            value = float(mntp_loss(model, tokenizer, probe, ratio, length, torch.Generator().manual_seed(seed)))
        model.train()
        return value

    before = probe_loss()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    generator = torch.Generator().manual_seed(seed)
    steps = settings.steps
    for batch in progress(_batches(texts, settings.batch_size, steps, seed), steps, "MNTP"):
        loss = mntp_loss(model, tokenizer, batch, ratio, length, generator)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    after = probe_loss()
    merged = model.merge_and_unload()
    merged.config.is_causal = False
    folder.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return {"steps": steps, "layers": layers, "loss_before": before, "loss_after": after}
