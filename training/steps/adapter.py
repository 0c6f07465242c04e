"""A LoRA adapter on the run's model: the steps after it train the adapter instead of every weight."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from training.steps.base import Step

if TYPE_CHECKING:
    from training.embed import EmbedState


class Adapter(Step):
    """Inject a LoRA adapter of the preset's ``lora`` settings (peft); a later ``merge`` step folds it in."""

    name: ClassVar[str] = "adapter"
    makes_encoder: ClassVar[bool] = True

    def apply(self, state: EmbedState) -> None:
        from peft import inject_adapter_in_model

        from training.lora import check_targets, lora_config

        lora = state.preset.lora.model_dump()
        check_targets(state.model[0].auto_model, lora)
        inject_adapter_in_model(lora_config(lora, "FEATURE_EXTRACTION"), state.model[0].auto_model)
