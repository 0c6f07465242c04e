"""The ``training`` section of riftlab.yaml, typed, with its defaults.

A stage's hyper-parameters live in preset files (``training/configs/*.yaml`` or a
path of the user's); this section only says which preset each stage uses by
default, where runs are written and what ``riftlab run`` trains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from warehouse.config import Settings, Text, refusal

#: The shipped presets: training/configs/<stage>_<name>.yaml (and lora_<name>.yaml for LoRA settings).
CONFIGS_DIR = Path(__file__).resolve().parent / "configs"

Stage = Literal["embed", "clm", "sft", "dpo"]


def is_preset_path(text: str) -> bool:
    """A YAML file path (anything with a slash or a .yaml/.yml suffix) rather than a shipped preset's name."""
    return text.endswith((".yaml", ".yml")) or "/" in text


def shipped_presets(prefix: str) -> list[str]:
    """Names of the shipped preset files whose name starts with ``prefix`` (e.g. 'embed_')."""
    return sorted(p.stem for p in CONFIGS_DIR.glob(f"{prefix}*.yaml"))


def _preset_of(stage: str):
    def check(name: str) -> str:
        known = shipped_presets(f"{stage}_")
        if not is_preset_path(name) and name not in known:
            raise refusal(f"one of {', '.join(known)}, or a path to a YAML file", name)
        return name

    return AfterValidator(check)


class Presets(Settings):
    """The preset `riftlab train STAGE` uses without --config: a shipped preset's name or a YAML path (relative
    to the project)."""

    embed: Annotated[Text, _preset_of("embed")] = "embed_default"
    clm: Annotated[Text, _preset_of("clm")] = "clm_default"
    sft: Annotated[Text, _preset_of("sft")] = "sft_default"
    dpo: Annotated[Text, _preset_of("dpo")] = "dpo_default"


class Training(Settings):
    """Where runs go, which presets stages use, what `riftlab run` trains."""

    output_dir: Text = "runs"
    """Folder that receives one sub-folder per run (relative to the project root)."""
    presets: Presets = Presets()
    run_stages: list[Stage] = ["embed"]
    """Stages trained by `riftlab run`, in order (each with its default preset)."""
    num_threads: int = Field(0, ge=0)
    """CPU threads for torch (0 = torch's own default)."""
    close_wait_seconds: float = Field(60.0, ge=0)
    """Seconds a run's end waits for another process's write lock before leaving its end beside the checkpoint."""
