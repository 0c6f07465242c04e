"""LoRA for every stage: a peft ``LoraConfig`` from a preset's ``lora`` mapping, target checks, merging."""

from __future__ import annotations

from typing import Any


def lora_config(lora: dict[str, Any], task_type: str = "CAUSAL_LM"):
    from peft import LoraConfig, TaskType

    return LoraConfig(
        task_type=getattr(TaskType, task_type),
        r=int(lora["r"]),
        lora_alpha=int(lora["alpha"]),
        lora_dropout=float(lora["dropout"]),
        target_modules=list(lora["target_modules"]),
        bias=lora["bias"],
    )


def check_targets(model, lora: dict[str, Any]) -> None:
    """Fail early when none of the ``lora`` target modules exist in the model."""
    from training.errors import PresetError

    targets = set(lora["target_modules"])
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    if not targets & names:
        raise PresetError(
            f"lora.target_modules {sorted(targets)} match no module of {type(model).__name__}; "
            f"its linear layers include {sorted(n for n in names if n.endswith('proj'))[:10]}"
        )


def merge_adapters(model) -> int:
    """Fold LoRA layers that peft's ``inject_adapter_in_model`` put in ``model`` into their base weights, in place.

    Afterwards ``save_pretrained`` writes full weights under the base model's own keys
    (no ``lora_*`` tensors, no adapter pointing at a base folder). Returns the layers merged.
    """
    from peft.tuners.tuners_utils import BaseTunerLayer

    merged = 0
    for name, module in list(model.named_modules()):
        if isinstance(module, BaseTunerLayer):
            module.merge()
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, module.get_base_layer())
            merged += 1
    if hasattr(model, "peft_config"):
        del model.peft_config
    return merged
