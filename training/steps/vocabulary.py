"""Vocabulary adaptation: each champion name gets its own token, its embedding learned from the corpus.

An encoder splits "Kai'Sa" into word pieces shared with unrelated words, so a bare name means
little to it.  Here every name becomes one token; the frozen encoder reads the corpus with
name mentions (and a share of ordinary tokens) masked; a ridge masked-LM head fitted on the
ordinary tokens maps the mean state at a name's mentions into the input-embedding space.
No label is read.  Names mentioned under ``min_mentions`` times keep their word-piece average.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from training.errors import BaseModelError, PresetError
from training.steps.base import CorpusStep

if TYPE_CHECKING:
    from training.embed import EmbedState


class Vocabulary(CorpusStep):
    """Champion-name tokens learned from the corpus text around each name (encoders)."""

    name: ClassVar[str] = "vocabulary"
    needs: ClassVar[Literal["encoder"]] = "encoder"

    min_mentions: int = Field(5, ge=0)
    """Names mentioned less often keep their word-piece average."""
    mask_ratio: float = Field(0.15, gt=0, lt=1)
    """Share of ordinary tokens masked to fit the masked-LM head."""
    ridge: float = Field(1.0, gt=0)
    """Ridge penalty of the masked-LM head."""
    batch_size: int = Field(32, ge=1)
    """Texts per batch."""
    max_seq_length: int = Field(256, ge=1)

    def apply(self, state: EmbedState) -> None:
        from tqdm.auto import tqdm

        texts = state.data.corpus_texts(self.corpus_split)
        stats = adapt_vocabulary(
            state.model,
            state.data.champions["name"].to_pylist(),
            texts,
            self,
            state.preset.seed,
            progress=lambda batches: tqdm(batches, desc="adapting champion-name tokens", unit="batch"),
        )
        state.metrics.update(stats.metrics())
        state.measure_names("_adapted")
        missing = stats.unadapted_names
        kept = (
            f"; {len(missing)} mentioned under {self.min_mentions} times kept their word pieces "
            f"({', '.join(missing[:5])}{'...' if len(missing) > 5 else ''})"
            if missing
            else ""
        )
        state.console.print(
            f"vocabulary adaptation: {stats.names} champion-name tokens ({stats.added_tokens} new) from "
            f"{stats.mentions} mentions in {len(texts)} chunks in {stats.seconds:.0f}s; "
            f"masked-word head top-1 {stats.head_top1:.3f}{kept}"
        )


@dataclass
class AdaptationStats:
    names: int
    added_tokens: int
    mentions: int
    unadapted_names: list[str]  # mentioned fewer than min_mentions times: kept their word-piece average
    head_top1: float  # the ridge head's top-1 accuracy on masked ordinary tokens it was not fitted on
    seconds: float

    def metrics(self) -> dict[str, Any]:
        return {
            "adapt_names": self.names,
            "adapt_added_tokens": self.added_tokens,
            "adapt_mentions": self.mentions,
            "adapt_unadapted_names": len(self.unadapted_names),
            "adapt_head_top1": round(self.head_top1, 4),
            "adapt_seconds": round(self.seconds, 1),
        }


def token_text(tokenizer, name: str) -> str:
    """``name`` as the tokenizer's normaliser would see it (lower-cased for uncased models)."""
    normalizer = getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None)
    return normalizer.normalize_str(name) if normalizer is not None else name


def name_token_ids(tokenizer, names: list[str], step: str) -> list[int]:
    """Each name's own token id, as :func:`add_name_tokens` added it; a clear error when a name is not one token."""
    ids = []
    for name in names:
        pieces = tokenizer(name, add_special_tokens=False)["input_ids"]
        if len(pieces) != 1:
            raise PresetError(
                f"{step}: the champion name {name!r} is {len(pieces)} tokens, not its own one; list invert or "
                f"vocabulary before {step} in the preset's steps (they give every name its token)"
            )
        ids.append(pieces[0])
    return ids


def add_name_tokens(tokenizer, encoder, names: list[str]):
    """Add one whole-word token per name to ``tokenizer`` and rows for them to ``encoder``'s embeddings.

    Each name's row starts at the mean of its former word pieces (the table's mean for a name
    without any); a name that already was one token keeps its row.  Returns the names' token
    ids, their former pieces, how many tokens were new, and the starting rows.
    """
    import torch
    from tokenizers import AddedToken

    pieces = [tokenizer(name, add_special_tokens=False)["input_ids"] for name in names]
    texts = [token_text(tokenizer, name) for name in names]
    added = tokenizer.add_tokens([AddedToken(text, single_word=True, normalized=True) for text in texts])
    ids = tokenizer.convert_tokens_to_ids(texts)
    encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    embeddings = encoder.get_input_embeddings().weight
    with torch.no_grad():
        starts = torch.stack([embeddings[p].mean(0) if p else embeddings.mean(0) for p in pieces])
        embeddings[ids] = starts
    return ids, pieces, added, starts


def _masked_states(
    encoder, tokenizer, texts: list[str], name_ids: list[int], settings: Vocabulary, seed: int, progress
):
    """Hidden states at masked name mentions (with the name's index) and at masked ordinary tokens (with the token)."""
    import torch

    rng = np.random.default_rng(seed)
    name_index = {token: i for i, token in enumerate(name_ids)}
    special = np.array(sorted(set(tokenizer.all_special_ids)))
    name_array = np.array(sorted(name_index))
    encoded = tokenizer(texts, truncation=True, max_length=settings.max_seq_length)["input_ids"]
    batch_size = settings.batch_size
    ratio = settings.mask_ratio
    name_states, name_labels, word_states, word_labels = [], [], [], []
    encoder.eval()
    for start in progress(range(0, len(encoded), batch_size)):
        batch = encoded[start : start + batch_size]
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        attention = torch.zeros_like(input_ids)
        kind = torch.zeros_like(input_ids)  # 1: masked name, 2: masked ordinary token
        labels = torch.zeros_like(input_ids)
        for row, ids in enumerate(batch):
            ids = np.asarray(ids)
            is_name = np.isin(ids, name_array)
            ordinary = np.flatnonzero(~is_name & ~np.isin(ids, special))
            chosen = (
                rng.choice(ordinary, size=min(len(ordinary), max(1, int(ratio * len(ids)))), replace=False)
                if len(ordinary)
                else []
            )
            is_word = np.zeros(len(ids), dtype=bool)
            is_word[chosen] = True
            masked = np.where(is_name | is_word, tokenizer.mask_token_id, ids)
            input_ids[row, : len(ids)] = torch.from_numpy(masked)
            attention[row, : len(ids)] = 1
            kind[row, : len(ids)] = torch.from_numpy(is_name * 1 + is_word * 2)
            labels[row, : len(ids)] = torch.from_numpy(ids)
        with torch.no_grad():
            hidden = encoder(input_ids=input_ids, attention_mask=attention).last_hidden_state
        name_states.append(hidden[kind == 1])
        name_labels.extend(name_index[int(t)] for t in labels[kind == 1])
        word_states.append(hidden[kind == 2])
        word_labels.append(labels[kind == 2])
    return torch.cat(name_states), np.array(name_labels, dtype=np.int64), torch.cat(word_states), torch.cat(word_labels)


def _ridge_head(states, targets, ridge: float):
    """Least-squares map (with bias) from hidden states to target embeddings."""
    import torch

    x = torch.cat([states, torch.ones(len(states), 1)], dim=1).double()
    gram = x.T @ x + ridge * torch.eye(x.shape[1], dtype=torch.float64)
    return torch.linalg.solve(gram, x.T @ targets.double()).float()


def _apply(head, states):
    import torch

    return torch.cat([states, torch.ones(len(states), 1)], dim=1) @ head


def adapt_vocabulary(
    model, names: list[str], texts: list[str], settings: Vocabulary, seed: int, progress=lambda it: it
) -> AdaptationStats:
    """Give each of ``names`` its own token in ``model`` (a sentence-transformers encoder), learned from ``texts``."""
    import time

    import torch

    started = time.perf_counter()
    transformer = model[0]
    tokenizer, encoder = transformer.tokenizer, transformer.auto_model
    if tokenizer.mask_token_id is None:
        raise BaseModelError(
            f"vocabulary adaptation needs a masked-LM tokenizer with a mask token; {type(tokenizer).__name__} "
            "has none: drop the vocabulary step"
        )
    # the piece means are also the rows kept by names the corpus never mentions
    name_ids, pieces, added, piece_means = add_name_tokens(tokenizer, encoder, names)
    embeddings = encoder.get_input_embeddings().weight

    name_states, name_labels, word_states, word_labels = _masked_states(
        encoder, tokenizer, texts, name_ids, settings, seed, progress
    )
    counts = np.bincount(name_labels, minlength=len(names))
    # fit the head on 90% of the ordinary masked tokens, report its accuracy on the rest
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(word_labels)))
    cut = max(1, int(0.9 * len(order)))
    with torch.no_grad():
        table = embeddings.detach()
        head = _ridge_head(word_states[order[:cut]], table[word_labels[order[:cut]]], settings.ridge)
        held = order[cut:]
        head_top1 = (
            float((_apply(head, word_states[held]) @ table.T).argmax(-1).eq(word_labels[held]).float().mean())
            if len(held)
            else float("nan")
        )

        mentioned = np.flatnonzero(counts >= max(1, settings.min_mentions))
        if len(mentioned):
            sums = torch.zeros(len(names), name_states.shape[1]).index_add_(
                0, torch.from_numpy(name_labels), name_states
            )
            mapped = _apply(head, sums[mentioned] / torch.from_numpy(counts[mentioned]).float()[:, None])
            reference = piece_means[mentioned]
            scale = (reference - reference.mean(0)).norm(dim=1).mean() / (mapped - mapped.mean(0)).norm(
                dim=1
            ).mean().clamp(min=1e-8)
            embeddings[[name_ids[i] for i in mentioned]] = reference.mean(0) + (mapped - mapped.mean(0)) * scale
    return AdaptationStats(
        names=len(names),
        added_tokens=int(added),
        mentions=int(counts.sum()),
        unadapted_names=[names[i] for i in np.setdiff1d(np.arange(len(names)), mentioned)],
        head_top1=head_top1,
        seconds=time.perf_counter() - started,
    )
