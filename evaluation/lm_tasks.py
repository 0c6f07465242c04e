"""Language-model tasks: perplexity on held-out text, and closed-book multiple choice by log-likelihood.

A causal LM (``smollm2``, a ``clm`` or ``sft`` run) is scored here instead of through mteb, on tasks
declared like the embedding ones (``tasks/*.yml`` + SQL), and its scores go to ``meta.eval_results``.

* ``perplexity``: each row's ``text`` is scored on its own (truncated to ``max_length`` tokens); the
  result is ``exp`` of the mean negative log-likelihood per predicted token, with the loss and
  bits per byte (comparable across tokenizers).
* ``multiple_choice``: as lm-evaluation-harness scores it, without sampling: the context (the
  question, in the model's chat template when its tokenizer has one, followed by
  ``answer_prefix``) is followed by each option in turn, and the option whose tokens have the
  highest summed log-probability is the model's answer (``accuracy``); ``accuracy_norm`` divides
  that sum by the option's length in bytes; ``chance_accuracy`` is the mean of 1 / options.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from evaluation.definitions import TaskData
from evaluation.errors import EvaluationError
from evaluation.results import Score

#: metrics each LM kind produces
METRICS = {
    "perplexity": ("perplexity", "loss", "bits_per_byte", "tokens"),
    "multiple_choice": ("accuracy", "accuracy_norm", "chance_accuracy", "questions"),
}


def _sequence_logprobs(model, sequences: list[tuple[list[int], int]], batch_size: int) -> list[tuple[float, int]]:
    """For each (token ids, start), the summed log-probability of ``ids[start:]`` given what precedes, and its count.

    Sequences are batched by length (right padding); ``start`` >= 1, as the first token has no context.
    """
    import torch

    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i][0]))
    out: list[tuple[float, int]] = [(0.0, 0)] * len(sequences)
    device = next(model.parameters()).device
    for first in range(0, len(order), batch_size):
        batch = [sequences[i] for i in order[first : first + batch_size]]
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        with torch.no_grad():
            logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = input_ids[:, 1:].to(device)
        picked = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        for row, (ids, start) in enumerate(batch):
            span = picked[row, start - 1 : len(ids) - 1]
            out[order[first + row]] = (float(span.sum()), int(span.numel()))
    return out


def perplexity(model, tokenizer, texts: list[str], max_length: int = 512, batch_size: int = 8) -> dict[str, float]:
    """Perplexity, loss (nats per token) and bits per byte of ``model`` on ``texts``, each scored on its own."""
    sequences, n_bytes = [], 0
    for text in texts:
        ids = tokenizer(text, add_special_tokens=True, truncation=True, max_length=max_length)["input_ids"]
        if len(ids) < 2:
            continue
        sequences.append((ids, 1))
        n_bytes += len(tokenizer.decode(ids[1:], skip_special_tokens=True).encode("utf-8"))
    if not sequences:
        raise EvaluationError("perplexity: no text of at least two tokens to score")
    scored = _sequence_logprobs(model, sequences, batch_size)
    nll = -sum(logprob for logprob, _ in scored)
    tokens = sum(count for _, count in scored)
    loss = nll / tokens
    return {
        "perplexity": math.exp(min(loss, 50)),
        "loss": loss,
        "bits_per_byte": nll / math.log(2) / max(n_bytes, 1),
        "tokens": float(tokens),
    }


def context(tokenizer, question: str, answer_prefix: str, prompt: str) -> str:
    """The text before an option: the question in the chat template (when ``prompt`` is chat and there is one)."""
    prefix = (answer_prefix or "").rstrip()
    if prompt == "chat" and getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
        )
        return text + prefix
    return f"Question: {question}\nAnswer:" + (f" {prefix}" if prefix else "")


def multiple_choice(
    model, tokenizer, rows: list[dict[str, Any]], prompt: str = "chat", batch_size: int = 16
) -> dict[str, float]:
    """Accuracy of picking the most likely option, length-normalised accuracy, and chance, over ``rows``."""
    sequences, owners = [], []
    for index, row in enumerate(rows):
        choices = [str(c) for c in row["choices"]]
        if not 0 <= int(row["answer"]) < len(choices) or len(choices) < 2:
            raise EvaluationError(
                f"multiple choice: question {row['question']!r} needs two or more choices and an answer index "
                f"among them (got {len(choices)} choice(s), answer {row['answer']})"
            )
        ctx = tokenizer(
            context(tokenizer, row["question"], row.get("answer_prefix") or "", prompt), add_special_tokens=False
        )["input_ids"]
        for choice in choices:
            continuation = tokenizer(" " + choice, add_special_tokens=False)["input_ids"]
            sequences.append((ctx + continuation, len(ctx)))
            owners.append((index, len(choice.encode("utf-8")) + 1))
    scored = _sequence_logprobs(model, sequences, batch_size)
    per_question: dict[int, list[tuple[float, float]]] = {}
    for (index, n_bytes), (logprob, _) in zip(owners, scored, strict=True):
        per_question.setdefault(index, []).append((logprob, logprob / n_bytes))
    correct = correct_norm = chance = 0.0
    for index, row in enumerate(rows):
        options = per_question[index]
        gold = int(row["answer"])
        correct += max(range(len(options)), key=lambda i: options[i][0]) == gold
        correct_norm += max(range(len(options)), key=lambda i: options[i][1]) == gold
        chance += 1 / len(options)
    n = len(rows)
    return {
        "accuracy": correct / n,
        "accuracy_norm": correct_norm / n,
        "chance_accuracy": chance / n,
        "questions": float(n),
    }


def score_split(model, tokenizer, data: TaskData, split: str) -> dict[str, float]:
    rows = data.splits[split]["rows"]
    params = data.spec.params
    if data.spec.kind == "perplexity":
        return perplexity(model, tokenizer, [r["text"] for r in rows], int(params.get("max_length", 512)))
    return multiple_choice(model, tokenizer, rows, str(params.get("prompt", "chat")))


def evaluate(ref, model, tokenizer, datas: list[TaskData], advance: Callable[[str, int], None]) -> list[Score]:
    """Score a loaded causal LM on each LM task; one :class:`Score` per (split, metric)."""
    scores: list[Score] = []
    for data in datas:
        advance(f"{ref.label}: {data.spec.name}", 0)
        produced = METRICS[data.spec.kind]
        for metric in data.spec.metrics:
            if metric not in produced:
                raise EvaluationError(
                    f"{data.spec.source}: metric '{metric}' is not produced by a {data.spec.kind} task; "
                    f"available: {', '.join(produced)}"
                )
        for split in data.splits:
            values = score_split(model, tokenizer, data, split)
            scores.extend(
                Score(
                    model=ref.model,
                    run_id=ref.run_id,
                    task=data.spec.name,
                    split=split,
                    metric=metric,
                    value=float(values[metric]),
                    is_main=metric == data.spec.main_metric,
                    data_snapshot_id=data.snapshot_id,
                )
                for metric in data.spec.metrics
            )
        advance(f"{ref.label}: {data.spec.name}", 1)
    return scores
