"""Every key a stage preset may set: its type, its allowed range or set, and its default.

A preset file (``training/configs/*.yaml``) and ``--set`` overrides are merged over these defaults
and checked against these models (:mod:`training.presets`); an unknown key or a bad value is one
line naming the file, the key, the value and what is allowed.  An embed preset's steps carry their
own settings (:mod:`training.steps`).  No torch is imported, so checking a preset stays instant.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from training.steps import STEPS, StepEntry
from training.steps.triplets import Triplets
from warehouse.config import Seed, Settings, Text, refusal, unknown_key
from warehouse.errors import closest

#: Named LoRA presets: training/configs/lora_<name>.yaml.
LoraPresetName = Literal["light", "balanced", "full-coverage"]
#: How a decoder's token states become one vector (training/embed.py; encoders keep their own).
POOLING = ("lasttoken", "mean")


class Lora(Settings):
    """LoRA adapter settings shared by every stage that can use one."""

    r: int = Field(8, ge=1)
    """Rank of the update matrices."""
    alpha: int = Field(16, ge=1)
    """Scale of the update (alpha / r)."""
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[Text] = Field(["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1)
    """Names of the linear layers that get an adapter."""
    bias: Literal["none", "all", "lora_only"] = "none"


class Loop(Settings):
    """Settings of the Hugging Face Trainer loop common to clm and sft."""

    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, ge=-1)
    """> 0 stops after that many optimiser steps (smoke runs); -1: run the epochs."""
    learning_rate: float = Field(2e-4, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_ratio: float = Field(0.0, ge=0, le=1)
    lr_scheduler: Literal[
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt"
    ] = "linear"
    batch_size: int = Field(8, ge=1)
    grad_accum: int = Field(1, ge=1)
    eval_batch_size: int = Field(8, ge=1)
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    """auto: bf16 where supported."""
    gradient_checkpointing: bool | None = None
    """null: only when memory needs it (CUDA, long blocks); true; false."""
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] = "sdpa"
    logging_steps: int = Field(10, ge=1)
    seed: Seed = 42
    dataloader_workers: int = Field(0, ge=0)


class Clm(Loop):
    """Causal-LM fine-tuning with a LoRA adapter."""

    base: Text | None = None
    """Path to a decoder checkpoint (required: here or with --base)."""
    max_seq_length: int = Field(512, ge=1)
    packing: bool = True
    """Concatenate chunks into full blocks of max_seq_length tokens."""
    max_validation_chunks: int = Field(0, ge=0)
    """> 0: evaluate on that many validation chunks, sampled deterministically (a CPU's benchmark); 0: all."""
    lora_preset: LoraPresetName | None = None
    """A named LoRA preset (training/configs/lora_*.yaml); the preset's own lora keys win over it."""
    lora: Lora = Lora()
    merge: bool = False
    """Also save the base with the adapter merged in (merged/)."""


class Sft(Loop):
    """Instruction SFT with TRL."""

    base: Text | None = None
    """A decoder checkpoint or a merged clm output (required: here or with --base)."""
    chat_template: Text = "chatml"
    """chatml, or a Jinja template; used when the base has none."""
    assistant_only_loss: bool = True
    max_seq_length: int = Field(512, ge=1)
    packing: bool = False
    kinds: list[Text] = []
    """instruct_pairs.kind values to use ([] = all)."""
    max_validation_pairs: int = Field(0, ge=0)
    """> 0: evaluate on that many validation pairs, sampled deterministically (a CPU's benchmark); 0: all."""
    lora_preset: LoraPresetName | None = None
    lora: Lora = Lora()
    use_lora: bool = True
    merge: bool = False
    sample_questions: list[Text] = [
        "Which lane does Jinx play?",
        "What class of champion is Ahri?",
        "Is Garen a melee or a ranged champion?",
    ]
    """Asked of the trained model after training (greedy); the answers go into the run's model card."""
    sample_max_new_tokens: int = Field(48, ge=1)


class Dpo(Loop):
    """Preference tuning with TRL's DPOTrainer: a LoRA adapter on the SFT output, the reference its adapter off."""

    base: Text | None = None
    """An sft run folder or a decoder checkpoint (required: here or with --base)."""
    chat_template: Text = "chatml"
    """chatml, or a Jinja template; used when the base has none."""
    beta: float = Field(0.1, gt=0)
    """How far the policy may move from the reference (higher: closer)."""
    loss_type: Literal["sigmoid", "ipo", "hinge", "robust", "sigmoid_norm"] = "sigmoid"
    max_length: int = Field(256, ge=8)
    """Longest prompt + answer, in tokens."""
    max_validation_pairs: int = Field(0, ge=0)
    """Cap on the validation (held-out champions') pairs scored (0 = all)."""
    lora_preset: LoraPresetName | None = None
    lora: Lora = Lora()
    merge: bool = True
    """Also save the model with the adapter merged in (merged/): what `riftlab export` quantises."""


class Embed(Settings):
    """Embedding model training with sentence-transformers: a base, the rows it reads, and its steps in order."""

    base: Text | None = "minilm"
    """minilm, a sentence-transformers folder, or a decoder checkpoint."""
    pooling: Literal[POOLING] = "mean"  # type: ignore[valid-type]
    """For decoders: lasttoken or mean (encoders keep their own pooling)."""
    max_seq_length: int = Field(128, ge=1)
    kinds: list[Literal["champion", "text"]] = Field(["champion", "text"], min_length=1)
    """Triplet kinds mixed into training."""
    max_train_triplets: int = Field(0, ge=0)
    """Cap on training rows (0 = all), sampled deterministically."""
    corpus_pairs_per_champion: int = Field(0, ge=0)
    """Extra (name, chunk about it with its names masked, chunk about another) rows from the corpus train split."""
    corpus_pairs_scope: Literal["train", "all"] = "train"
    """Whose chunks feed those rows: train (champions of embedding_split 'train') or all (no label of theirs
    is used)."""
    max_validation_triplets: int = Field(1000, ge=0)
    """Cap on validation rows (0 = all)."""
    seed: Seed = 42
    """The run's seed: every step's sampling and initialisation."""
    lora_preset: LoraPresetName | None = None
    lora: Lora = Lora()
    """The LoRA adapter of the llm2vec and adapter steps."""
    steps: list[StepEntry] = Field([StepEntry(triplets=Triplets())], min_length=1)  # type: ignore[valid-type]
    """What the run does, in order: llm2vec, adapter, simcse, vocabulary, invert, triplets, head, merge (and
    text_triplets, before invert)."""

    @model_validator(mode="before")
    @classmethod
    def _step_settings_go_under_their_step(cls, data: Any) -> Any:
        """A key that is a step's setting (``epochs``, ``head_steps``...) is refused naming the step it belongs to."""
        if not isinstance(data, dict):
            return data
        for key in data:
            if key not in cls.model_fields and (place := _step_setting(str(key), data.get("steps"), cls)):
                raise unknown_key(key, place, f"a step's settings go under its name in steps (or --set {place}=VALUE)")
        return data

    @model_validator(mode="after")
    def _steps_in_an_order_that_works(self) -> Embed:
        names = [entry.step.name for entry in self.steps]
        twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
        if twice:
            raise refusal(f"each step once ('{twice}' is listed twice; --set names a step to set it)", names, "steps")
        if "llm2vec" in names[1:]:
            raise refusal("a list that starts with llm2vec when it has it (it rebuilds the model)", names, "steps")
        adapted = "adapter" in names
        if adapted != ("merge" in names) or (adapted and names.index("merge") < names.index("adapter")):
            raise refusal(
                "a list where merge follows adapter, or has neither (the checkpoint holds full weights)", names, "steps"
            )
        return self


def _step_setting(key: str, steps: Any, model: type[Settings]) -> str | None:
    """``step.setting`` that ``key`` most likely means (the preset's own steps first), or None.

    A step's setting named exactly (``epochs``, ``head_steps``) wins over a close top-level key; a
    close top-level key (a typo: ``sed``) wins over a close step setting.
    """
    listed = steps if isinstance(steps, list) else [{"triplets": {}}]
    named = [name for item in listed for name in _names_in(item) if name in STEPS]
    order = list(dict.fromkeys([*named, *STEPS]))
    for name in order:
        if (setting := key.removeprefix(f"{name}_")) in STEPS[name].model_fields:
            return f"{name}.{setting}"
    if closest(key, list(model.model_fields)):
        return None  # a typo of a top-level key: the usual message suggests it
    for name in order:
        if setting := closest(key.removeprefix(f"{name}_"), list(STEPS[name].model_fields)):
            return f"{name}.{setting}"
    return None


def _names_in(item: Any) -> list[Any]:
    """The step names an unchecked item of ``steps`` gives: a bare name, or a mapping's keys."""
    if isinstance(item, str):
        return [item]
    return list(item) if isinstance(item, dict) else []


#: stage -> the model of its presets.
STAGES: dict[str, type[Settings]] = {"embed": Embed, "clm": Clm, "sft": Sft, "dpo": Dpo}
