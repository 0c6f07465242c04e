"""Build a peft ``LoraConfig`` from a preset's ``lora`` mapping."""

from __future__ import annotations

from typing import Any


def lora_config(settings: dict[str, Any], task_type: str = "CAUSAL_LM"):
    from peft import LoraConfig, TaskType

    lora = settings["lora"]
    return LoraConfig(
        task_type=getattr(TaskType, task_type),
        r=int(lora["r"]),
        lora_alpha=int(lora["alpha"]),
        lora_dropout=float(lora["dropout"]),
        target_modules=list(lora["target_modules"]),
        bias=lora["bias"],
    )


def check_targets(model, settings: dict[str, Any]) -> None:
    """Fail early when none of the preset's target modules exist in the model."""
    from training.errors import PresetError

    targets = set(settings["lora"]["target_modules"])
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    if not targets & names:
        raise PresetError(
            f"lora.target_modules {sorted(targets)} match no module of {type(model).__name__}; "
            f"its linear layers include {sorted(n for n in names if n.endswith('proj'))[:10]}"
        )
