"""Model folders that would run code when loaded: copies of the offline MiniLM whose evil code writes a marker file.

Shared by the evaluation and training tests of "checkpoints are data, not code".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from training.bases import minilm_path

EVIL_CONFIG = """
from pathlib import Path
Path({marker!r}).write_text("ran")
from transformers import BertConfig


class EvilConfig(BertConfig):
    pass
"""

EVIL_MODULE = """
from pathlib import Path
Path({marker!r}).write_text("ran")
from sentence_transformers.sentence_transformer.modules import Transformer


class Evil(Transformer):
    pass
"""


def minilm_copy(root: Path) -> Path:
    folder = root / "evil-model"
    shutil.copytree(minilm_path(), folder)
    return folder


def auto_map_attack(root: Path, marker: Path) -> tuple[Path, str]:
    """MiniLM plus configuration_evil.py, named by an ``auto_map`` in config.json."""
    folder = minilm_copy(root)
    (folder / "configuration_evil.py").write_text(EVIL_CONFIG.format(marker=str(marker)))
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(
        json.dumps({**config, "auto_map": {"AutoConfig": "configuration_evil.EvilConfig"}})
    )
    return folder, "configuration_evil.py"


def module_type_attack(root: Path, marker: Path) -> tuple[Path, str]:
    """MiniLM whose modules.json names ``training.Evil``, with a training.py beside it."""
    folder = minilm_copy(root)
    (folder / "training.py").write_text(EVIL_MODULE.format(marker=str(marker)))
    listed = json.loads((folder / "modules.json").read_text())
    listed[0]["type"] = "training.Evil"
    (folder / "modules.json").write_text(json.dumps(listed))
    return folder, "training.py"


ATTACKS = {"auto_map": auto_map_attack, "module_type": module_type_attack}
