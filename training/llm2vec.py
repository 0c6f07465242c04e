"""LLM2Vec-style adaptation of a decoder into a text encoder, built in-project.

The ``llm2vec`` package pins transformers 4.x, so the three steps of LLM2Vec
(BehnamGhader et al., 2024) are written here against transformers 5 and run by
``embed`` with ``adaptation: llm2vec`` on a decoder base, before any triplet:

1. **Bidirectional attention.**  ``config.is_causal = False`` makes transformers
   build a bidirectional mask, and every attention module's ``is_causal`` flag
   (which the SDPA path reads when no padding mask is needed) is cleared too.
2. **Masked next-token prediction (MNTP).**  A share of the tokens of
   train-split corpus chunks is replaced by a mask token; the token at position
   *i* is predicted from the logits at *i - 1*, as the causal LM head expects, so
   the model learns to read the context on both sides.  A LoRA adapter is trained
   and merged into the weights.
3. **Unsupervised SimCSE.**  Each chunk is its own positive under two dropout
   masks and the other chunks of the batch are negatives
   (MultipleNegativesRankingLoss), with attention dropout raised for the step.

No label is read: only corpus text.  The saved checkpoint's first module is
:class:`BidirectionalTransformer`, so riftlab's loader
(:func:`training.bases.load_sentence_transformer`, whose allow-list names this class)
restores the bidirectional attention when it reloads the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
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


def set_attention_dropout(model, rate: float | None) -> None:
    """Set every attention module's dropout to ``rate`` (None: back to the config's value)."""
    for module in model.modules():
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = float(module.config.attention_dropout if rate is None else rate)


class BidirectionalTransformer(Transformer):
    """A sentence-transformers ``Transformer`` whose decoder attends in both directions.

    Saved as this class in ``modules.json``, so reloading the checkpoint re-applies
    :func:`make_bidirectional` (the attention modules set ``is_causal`` in their own
    ``__init__``, whatever the saved config says).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make_bidirectional(self.auto_model)


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


def mntp(source: Path, texts: list[str], settings: dict[str, Any], folder: Path, progress: Callable) -> dict[str, Any]:
    """Train MNTP with a LoRA adapter on the decoder at ``source``; save the merged model to ``folder``.

    Returns the steps run, the layers made bidirectional, and the MNTP loss on one fixed batch
    (the same texts and masked positions) before and after training.
    """
    import torch
    from peft import get_peft_model

    from training.decoders import load_causal_lm, load_tokenizer
    from training.lora import check_targets, lora_config

    model = load_causal_lm(source)
    tokenizer = load_tokenizer(source)
    layers = make_bidirectional(model)
    check_targets(model, settings)
    model = get_peft_model(model, lora_config(settings, "CAUSAL_LM"))
    ratio, length, seed = (
        float(settings["adapt_mask_ratio"]),
        int(settings["adapt_max_seq_length"]),
        int(settings["seed"]),
    )
    probe = next(iter(_batches(texts, int(settings["adapt_batch_size"]), 1, seed + 1)))

    def probe_loss() -> float:
        model.eval()
        with torch.no_grad():
            value = float(mntp_loss(model, tokenizer, probe, ratio, length, torch.Generator().manual_seed(seed)))
        model.train()
        return value

    before = probe_loss()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=float(settings["adapt_learning_rate"])
    )
    generator = torch.Generator().manual_seed(seed)
    steps = int(settings["adapt_mntp_steps"])
    for batch in progress(_batches(texts, int(settings["adapt_batch_size"]), steps, seed), steps, "MNTP"):
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


def simcse(model, texts: list[str], settings: dict[str, Any], folder: Path) -> float:
    """Unsupervised SimCSE on ``model`` (a SentenceTransformer): each text is its own positive."""
    import shutil

    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer import losses

    steps = int(settings["adapt_simcse_steps"])
    if steps <= 0:
        return float("nan")
    unique = sorted(set(texts))
    set_attention_dropout(model[0].auto_model, float(settings["adapt_dropout"]))
    args = SentenceTransformerTrainingArguments(
        output_dir=str(folder),
        max_steps=steps,
        per_device_train_batch_size=int(settings["adapt_batch_size"]),
        learning_rate=float(settings["adapt_learning_rate"]),
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        save_strategy="no",
        report_to="none",
        seed=int(settings["seed"]),
        logging_steps=max(1, steps // 10),
        dataloader_pin_memory=False,
        disable_tqdm=False,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict({"anchor": unique, "positive": unique}),
        loss=losses.MultipleNegativesRankingLoss(model),
    )
    try:
        output = trainer.train()
    finally:
        set_attention_dropout(model[0].auto_model, None)
        shutil.rmtree(folder, ignore_errors=True)
    return float(output.training_loss)
