"""Chat templates for SFT: the base's own, or one from the preset (the seed's base has none).

Loss on assistant tokens only needs ``{% generation %}`` markers in the template
(TRL reads them through ``return_assistant_tokens_mask``); the built-in ChatML
template has them, and wraps the end-of-turn token inside, so the model learns to stop.
"""

from __future__ import annotations

from typing import Any

from training.errors import PresetError

IM_START, IM_END = "<|im_start|>", "<|im_end|>"

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}{{ message['content'] + '<|im_end|>' + '\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

TEMPLATES = {"chatml": CHATML}


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and "{% generation %}" in template.replace("{%-", "{%").replace("-%}", "%}")


def apply_template(tokenizer: Any, setting: str, assistant_only_loss: bool) -> list[int]:
    """Give ``tokenizer`` a chat template; returns ids of special tokens that had to be added.

    The base's own template is kept when it has generation markers (or when the loss
    is on every token); otherwise the preset's template (a name in :data:`TEMPLATES` or
    Jinja text) replaces it.
    """
    own = getattr(tokenizer, "chat_template", None)
    if own and (has_generation_markers(own) or not assistant_only_loss):
        return []
    template = TEMPLATES.get(setting, setting)
    if "{%" not in template and "{{" not in template:
        raise PresetError(
            f"chat_template '{setting}' is neither a known template ({', '.join(TEMPLATES)}) nor Jinja text"
        )
    if assistant_only_loss and not has_generation_markers(template):
        raise PresetError(
            "assistant_only_loss needs a chat template with {% generation %}...{% endgeneration %} around the "
            "assistant's reply; use chat_template: chatml or add the markers"
        )
    tokenizer.chat_template = template
    added: list[int] = []
    if template is CHATML:
        missing = [t for t in (IM_START, IM_END) if t not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_special_tokens({"additional_special_tokens": missing})
            added = tokenizer.convert_tokens_to_ids(missing)
        tokenizer.eos_token = IM_END
    return added
