"""Two sampled answers of a language model to each question: the candidates the LLM judge compares.

The model is a decoder folder or a clm/sft/dpo run (its merged model, or its adapter on its base);
each question goes through the tokenizer's chat template (a user turn, then the assistant's turn to
answer), and two answers are sampled at ``temperature`` with a fixed seed, so a rerun gives the same
candidates.
"""

from __future__ import annotations

from pathlib import Path


def answer_twice(
    path: Path, questions: list[str], max_new_tokens: int = 48, temperature: float = 1.0, seed: int = 0
) -> list[tuple[str, str]]:
    """(answer a, answer b) for each of ``questions``, sampled from the model at ``path``."""
    import torch

    from training.decoders import load_causal_lm, load_tokenizer

    tokenizer = load_tokenizer(path)
    model = load_causal_lm(path)
    model.eval()
    torch.manual_seed(seed)
    out = []
    for question in questions:
        messages = [{"role": "user", "content": question}]
        if getattr(tokenizer, "chat_template", None):
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            prompt = f"Question: {question}\nAnswer:"
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            generated = model.generate(
                **ids,
                do_sample=True,
                temperature=temperature,
                max_new_tokens=max_new_tokens,
                num_return_sequences=2,
                pad_token_id=tokenizer.pad_token_id,
            )
        texts = [
            tokenizer.decode(row[ids["input_ids"].shape[1] :], skip_special_tokens=True).strip() or "(no answer)"
            for row in generated
        ]
        out.append((texts[0], texts[1]))
    return out
