"""Load decoder checkpoints: plain causal LMs, merged riftlab outputs, or LoRA adapters on a base.

A ``clm``/``sft`` run folder holds the adapter and, when ``merge`` was set, a
``merged/`` full model.  Later stages accept the run folder itself: the merged
model is used when present, otherwise the adapter is applied to its base and
merged in memory.  Every folder read here is checked by :mod:`training.trust` first: a
checkpoint's code is never run, and weights load from safetensors only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training import bases, trust
from training.errors import BaseModelError

MERGED = "merged"


def decoder_source(path: Path) -> Path:
    """The folder holding full decoder weights for ``path`` (a run folder may point at ``merged/``)."""
    if (path / MERGED / "config.json").is_file():
        return path / MERGED
    if (path / "config.json").is_file():
        return path
    if bases.has_adapter(path):
        return path
    raise BaseModelError(f"{path} holds no model: expected config.json, a merged/ folder or a LoRA adapter")


def adapter_base(path: Path) -> Path:
    config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
    base = Path(config.get("base_model_name_or_path") or "")
    if not base.is_dir():
        raise BaseModelError(
            f"adapter {path} was trained on {base}, which is not a local folder any more; train with merge=true"
        )
    trust.check_folder(base)
    return base


def check_decoder(path: Path, stage: str) -> Path:
    """Resolve ``path`` to a decoder source and fail clearly when it is not a causal LM."""
    source = decoder_source(path)
    bases.require_decoder(adapter_base(source) if not (source / "config.json").is_file() else source, stage)
    return source


def load_causal_lm(path: Path, dtype: Any = None, attn_implementation: str | None = None):
    """A ``*ForCausalLM`` from ``path``; an adapter-only folder is merged into its base."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {**trust.WEIGHTS, "trust_remote_code": False}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    source = decoder_source(path)
    trust.check_folder(source)
    if (source / "config.json").is_file():
        return AutoModelForCausalLM.from_pretrained(str(source), **kwargs)
    from peft import PeftModel

    base = AutoModelForCausalLM.from_pretrained(str(adapter_base(source)), **kwargs)
    return PeftModel.from_pretrained(base, str(source)).merge_and_unload()


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    source = decoder_source(path)
    trust.check_folder(source)
    tokenizer = AutoTokenizer.from_pretrained(str(source), trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer
