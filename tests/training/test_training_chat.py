"""The SFT chat template: added to a base without one, loss mask covers the assistant reply and its stop token."""

from __future__ import annotations

import pytest


def test_chatml_masks_only_the_assistant_reply(tiny_decoder):
    from transformers import AutoTokenizer

    from training.chat import apply_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    assert not tokenizer.chat_template
    added = apply_template(tokenizer, "chatml", assistant_only_loss=True)
    assert len(added) == 2 and tokenizer.eos_token == "<|im_end|>"
    messages = [{"role": "user", "content": "What does Jinx do?"}, {"role": "assistant", "content": "Jinx swaps guns."}]
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    trained = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(trained) == "Jinx swaps guns.<|im_end|>"


def test_template_without_generation_markers_is_refused_for_assistant_only_loss(tiny_decoder):
    from transformers import AutoTokenizer

    from training.chat import apply_template
    from training.errors import PresetError

    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    with pytest.raises(PresetError, match=r"generation %\}"):
        apply_template(tokenizer, "{% for m in messages %}{{ m['content'] }}{% endfor %}", assistant_only_loss=True)
