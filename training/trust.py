"""Model folders are data, not code: what riftlab will import when it loads a checkpoint.

A folder can name code to run in three ways: a Python file beside the weights, an
``auto_map`` in a JSON config (transformers' remote code), and a ``modules.json`` type
(sentence-transformers imports the class path it names).  riftlab refuses the first two
outright and resolves the third through an explicit allow-list of module classes that
sentence-transformers and riftlab ship, looked up in the installed packages, so no loading
path ever sets ``trust_remote_code``.  Weights load from safetensors only (:data:`WEIGHTS`).
"""

from __future__ import annotations

import json
from pathlib import Path

from training.errors import UntrustedModelError

#: files that are code, wherever they sit in a model folder
CODE_SUFFIXES = (".py", ".pyc", ".pyd", ".so")

#: sentence-transformers module classes a checkpoint may name (attributes of its ``modules`` package)
SENTENCE_TRANSFORMERS_MODULES = (
    "Transformer",
    "Pooling",
    "Normalize",
    "Dense",
    "Dropout",
    "LayerNorm",
    "WeightedLayerPooling",
)

#: the public paths sentence-transformers reads those classes under (``models`` is the legacy alias MiniLM uses)
SENTENCE_TRANSFORMERS_PACKAGES = ("sentence_transformers.sentence_transformer.modules", "sentence_transformers.models")

#: ``from_pretrained`` keywords for every load: safetensors weights, never a pickle
WEIGHTS = {"use_safetensors": True}


def module_classes() -> dict[str, type]:
    """Every ``modules.json`` type riftlab loads, mapped to the installed class it stands for."""
    from sentence_transformers.sentence_transformer import modules

    from training.llm2vec import BidirectionalTransformer
    from training.modules import LabelProbabilities, NameVectors

    allowed: dict[str, type] = {}
    for name in SENTENCE_TRANSFORMERS_MODULES:
        cls = getattr(modules, name)
        for package in (*SENTENCE_TRANSFORMERS_PACKAGES, cls.__module__):  # the defining module is what save() writes
            allowed[f"{package}.{name}"] = cls
    for cls in (BidirectionalTransformer, LabelProbabilities, NameVectors):
        allowed[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return allowed


def _refuse(folder: Path, file: Path, what: str) -> UntrustedModelError:
    return UntrustedModelError(
        f"model folder {folder}: {file.relative_to(folder)} {what}; riftlab loads weights, never code from a "
        "checkpoint: remove it (or use a checkpoint riftlab or sentence-transformers saved)"
    )


def _auto_map(file: Path) -> dict | None:
    """The ``auto_map`` of the JSON ``file`` (code for transformers to import), if it has one."""
    text = file.read_text(encoding="utf-8", errors="replace")
    if '"auto_map"' not in text:
        return None
    try:
        content = json.loads(text)
    except ValueError:
        return {"?": "unreadable JSON naming auto_map"}  # refuse rather than guess what a loader would make of it
    if not isinstance(content, dict):
        return None
    return content.get("auto_map") or None


def check_folder(folder: Path) -> None:
    """Refuse ``folder`` if it ships code or an ``auto_map``: one line naming the folder and the file.

    Code files are looked for first, so an ``auto_map`` pointing at a file beside it is
    reported by that file's name.
    """
    files = sorted(file for file in folder.rglob("*") if file.is_file())
    for file in files:
        if file.suffix in CODE_SUFFIXES:
            raise _refuse(folder, file, "is code")
    for file in files:
        if file.suffix == ".json" and (auto_map := _auto_map(file)):
            raise _refuse(
                folder, file, f"has an auto_map (code for transformers to import: {json.dumps(auto_map)[:200]})"
            )


def checked_module_classes(folder: Path) -> dict[str, type]:
    """The installed classes for the types ``folder/modules.json`` lists, after :func:`check_folder`.

    A type outside :func:`module_classes` is refused, so sentence-transformers never imports a
    class path a checkpoint chose.
    """
    check_folder(folder)
    allowed = module_classes()
    listed = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    for entry in listed:
        ref = str(entry.get("type", ""))
        if ref not in allowed:
            names = ", ".join(sorted({cls.__name__ for cls in allowed.values()}))
            raise UntrustedModelError(
                f"model folder {folder}: modules.json names module class '{ref}', which neither riftlab nor "
                f"sentence-transformers ships (allowed: {names}); riftlab imports no other code"
            )
    return {str(entry["type"]): allowed[str(entry["type"])] for entry in listed}
