"""Load a stage's preset: YAML file merged over the stage defaults, then ``--set`` overrides.

A preset is named (``clm_seed`` -> ``training/configs/clm_seed.yaml``) or given as
a path.  Its keys are checked against :mod:`training.defaults`, so a typo fails
before any model is loaded, with the file and the closest known key.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from training.defaults import STAGES
from training.errors import PresetError
from warehouse.config import merge_settings, read_yaml
from warehouse.errors import ConfigError

CONFIGS_DIR = Path(__file__).resolve().parent / "configs"


def preset_path(name_or_path: str | Path, root: Path | None = None) -> Path:
    """A preset name in ``training/configs`` or a file path (relative to ``root``)."""
    text = str(name_or_path)
    if not text.endswith((".yaml", ".yml")) and "/" not in text:
        candidate = CONFIGS_DIR / f"{text}.yaml"
        if candidate.is_file():
            return candidate
        known = ", ".join(sorted(p.stem for p in CONFIGS_DIR.glob("*.yaml")))
        raise PresetError(f"unknown preset '{text}'; presets in {CONFIGS_DIR}: {known} (or pass a YAML file path)")
    path = Path(text).expanduser()
    if not path.is_absolute() and root is not None:
        path = root / path
    if not path.is_file():
        raise PresetError(f"preset file {path} does not exist")
    return path


def parse_override(text: str) -> tuple[list[str], Any]:
    """``key.sub=value`` -> (["key", "sub"], value parsed as YAML: numbers, booleans, lists)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise PresetError(f"--set {text!r}: expected key=value (for example --set epochs=2 or --set lora.r=16)")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str):  # YAML 1.1 reads 1e-5 as text
        try:
            value = float(value)
        except ValueError:
            pass
    return key.strip().split("."), value


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    nested: Any = value
    for key in reversed(keys):
        nested = {key: nested}
    return nested


def _checked_merge(base: dict[str, Any], given: Any, source: Path | str) -> dict[str, Any]:
    try:
        return merge_settings(base, given, "", Path(str(source)))
    except ConfigError as exc:
        raise PresetError(str(exc)) from None


def lora_preset(name: str) -> dict[str, Any]:
    """The LoRA settings of ``training/configs/lora_<name>.yaml`` (light, balanced, full-coverage)."""
    path = CONFIGS_DIR / f"lora_{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem.removeprefix("lora_") for p in CONFIGS_DIR.glob("lora_*.yaml")))
        raise PresetError(f"unknown LoRA preset '{name}'; known: {known}")
    data = read_yaml(path) or {}
    return data


def load_preset(
    stage: str,
    preset: str | Path | None = None,
    overrides: tuple[str, ...] | list[str] = (),
    root: Path | None = None,
    default_preset: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Settings for ``stage`` and the preset's name, after defaults <- preset <- LoRA preset <- overrides."""
    if stage not in STAGES:
        raise PresetError(f"unknown stage '{stage}'; stages: {', '.join(STAGES)}")
    settings = copy.deepcopy(STAGES[stage])
    chosen = preset or default_preset
    name = "defaults"
    if chosen:
        path = preset_path(chosen, root)
        name = path.stem
        given = read_yaml(path) or {}
        if not isinstance(given, dict):
            raise PresetError(f"{path}: expected a mapping of settings")
        file_stage = given.pop("stage", stage)
        if file_stage != stage:
            raise PresetError(f"{path} is a '{file_stage}' preset, not a '{stage}' preset")
        given.pop("description", None)
        settings = _checked_merge(settings, given, path)
        if settings.get("lora_preset"):
            lora = _checked_merge(STAGES[stage]["lora"], lora_preset(settings["lora_preset"]), f"lora_{settings['lora_preset']}.yaml")
            # explicit lora keys of the preset win over the named LoRA preset
            settings["lora"] = {**lora, **(given.get("lora") or {})}
    for text in overrides:
        keys, value = parse_override(text)
        if keys == ["lora_preset"] and value:
            settings["lora"] = _checked_merge(STAGES[stage]["lora"], lora_preset(value), f"lora_{value}.yaml")
        settings = _checked_merge(settings, _nest(keys, value), "--set")
    return settings, name
