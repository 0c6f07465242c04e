"""Pick the numeric precision and memory savers a run can actually use on this machine.

Presets say what they want (``fp16`` for the seed, ``auto`` for riftlab's
default); this module degrades gracefully: half precision needs CUDA (or a bf16
capable device), so on CPU the run trains in fp32 and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Precision:
    name: str  # fp32, fp16, bf16
    note: str = ""

    @property
    def trainer_flags(self) -> dict[str, bool]:
        return {"bf16": self.name == "bf16", "fp16": self.name == "fp16"}

    @property
    def load_dtype(self) -> Any:
        import torch

        # fp16 trains with fp32 master weights (autocast + grad scaler); bf16 loads in bf16
        return torch.bfloat16 if self.name == "bf16" else torch.float32


def choose(requested: str) -> Precision:
    import torch

    cuda = torch.cuda.is_available()
    bf16_ok = cuda and torch.cuda.is_bf16_supported()
    if requested == "auto":
        if bf16_ok:
            return Precision("bf16")
        return Precision("fp16") if cuda else Precision("fp32", "no CUDA device: training in fp32")
    if requested == "bf16" and not bf16_ok:
        return Precision("fp32", "bf16 requested but this machine has no bf16-capable CUDA device: training in fp32")
    if requested == "fp16" and not cuda:
        return Precision("fp32", "fp16 requested but there is no CUDA device: training in fp32")
    if requested not in ("fp32", "fp16", "bf16"):
        from training.errors import PresetError

        raise PresetError(f"precision '{requested}' is not one of auto, bf16, fp16, fp32")
    return Precision(requested)


def needs_gradient_checkpointing(setting: bool | None, model_config: Any, micro_batch: int, seq_len: int) -> bool:
    """``None`` (auto): on only when saved activations would not fit in about 60% of the memory they live in.

    That is the GPU's memory (16-bit activations), or on a CPU the memory available now (fp32): a
    pretrained 135M decoder with a 49k vocabulary at micro-batch 16 x 512 needs about 22 GB without it.
    """
    if setting is not None:
        return bool(setting)
    import torch

    cuda = torch.cuda.is_available()
    hidden = int(getattr(model_config, "hidden_size", 0))
    layers = int(getattr(model_config, "num_hidden_layers", 0))
    intermediate = int(getattr(model_config, "intermediate_size", 4 * hidden))
    vocab = int(getattr(model_config, "vocab_size", 0))
    tokens = micro_batch * seq_len
    # rough bytes of saved activations per token: attention + MLP blocks, plus fp32 logits and their gradient
    per_token = layers * (18 * hidden + 6 * intermediate) * (2 if cuda else 4) + vocab * 4 * 2
    if cuda:
        total = torch.cuda.get_device_properties(0).total_memory
    else:
        import psutil

        total = psutil.virtual_memory().available
    return tokens * per_token > 0.6 * total
