"""Load a stage's preset: YAML file merged over the stage defaults, then ``--set`` overrides.

A preset is named (``clm_seed`` -> ``training/configs/clm_seed.yaml``) or given as a path.  Every
layer (the preset file, a named LoRA preset, each ``--set``) is checked against the stage's model
in :mod:`training.defaults` as it is applied, so a typo or an out-of-range value fails before any
model is loaded, in one line naming the file (or the ``--set``), the key, the value and what is
allowed.

``--set KEY=VALUE`` sets a top-level key (``seed``, ``lora.r``).  For an ``embed`` preset,
``--set STEP.KEY=VALUE`` sets one step's setting (``--set head.steps=100``; the preset must list
that step), and ``--set steps=[...]`` gives the steps in order: a step the preset lists keeps its
settings there, a new one starts at its defaults (``--set steps=[invert,triplets,head]``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from training.defaults import STAGES, Lora
from training.errors import PresetError
from training.settings import CONFIGS_DIR, is_preset_path, shipped_presets
from training.steps import STEPS, StepEntry, step_names
from warehouse.config import read_yaml, validate
from warehouse.errors import ConfigError

__all__ = ["CONFIGS_DIR", "load_preset", "lora_preset", "parse_override", "preset_path"]


def preset_path(name_or_path: str | Path, root: Path | None = None) -> Path:
    """A preset name in ``training/configs`` or a file path (relative to ``root``)."""
    text = str(name_or_path)
    if not is_preset_path(text):
        candidate = CONFIGS_DIR / f"{text}.yaml"
        if candidate.is_file():
            return candidate
        known = ", ".join(shipped_presets(""))
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


def _merged(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``base``, mapping into mapping (``lora: {r: 4}`` keeps the other lora keys)."""
    merged = copy.deepcopy(base)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _checked(model, data: Any, source: Path | str) -> dict[str, Any]:
    try:
        return validate(model, data, source)
    except ConfigError as exc:
        raise PresetError(str(exc)) from None


def lora_preset(name: str) -> dict[str, Any]:
    """The LoRA settings of ``training/configs/lora_<name>.yaml`` (light, balanced, full-coverage), checked."""
    path = CONFIGS_DIR / f"lora_{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.removeprefix("lora_") for p in shipped_presets("lora_"))
        raise PresetError(f"unknown LoRA preset '{name}'; known: {known}")
    return _checked(Lora, read_yaml(path) or {}, path)


def _preset_file(stage: str, path: Path) -> dict[str, Any]:
    """The settings a preset file gives (its ``stage`` checked, its ``description`` dropped)."""
    given = read_yaml(path) or {}
    if not isinstance(given, dict):
        raise PresetError(f"{path}: expected a mapping of settings")
    file_stage = given.pop("stage", stage)
    if file_stage != stage:
        raise PresetError(f"{path} is a '{file_stage}' preset, not a '{stage}' preset")
    given.pop("description", None)
    return given


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
    model = STAGES[stage]
    settings = model().model_dump()
    chosen = preset or default_preset
    name = "defaults"
    if chosen:
        path = preset_path(chosen, root)
        name = path.stem
        given = _preset_file(stage, path)
        settings = _checked(model, _merged(settings, given), path)
        if settings["lora_preset"]:
            # explicit lora keys of the preset win over the named LoRA preset
            settings["lora"] = {**lora_preset(settings["lora_preset"]), **(given.get("lora") or {})}
    for text in overrides:
        settings = _override(model, settings, text)
    return settings, name


def _override(model, settings: dict[str, Any], text: str) -> dict[str, Any]:
    """``settings`` with the ``--set`` ``text`` applied, checked."""
    keys, value = parse_override(text)
    source = f"--set {text}"
    if keys == ["lora_preset"] and value:
        settings = _checked(model, _merged(settings, {"lora_preset": value}), source)
        settings["lora"] = lora_preset(value)
    if "steps" in model.model_fields:
        if keys == ["steps"]:
            return _checked(model, {**settings, "steps": _reordered(settings["steps"], value)}, source)
        if keys[0] in STEPS:
            return _checked(model, _step_set(settings, keys, value, source), source)
    return _checked(model, _merged(settings, _nest(keys, value)), source)


def _step_set(settings: dict[str, Any], keys: list[str], value: Any, source: str) -> dict[str, Any]:
    """``--set STEP.KEY=VALUE``: the preset's ``STEP`` with ``KEY`` set, checked as that step alone."""
    names = step_names(settings["steps"])
    if keys[0] not in names:
        raise PresetError(
            f"{source}: the preset has no '{keys[0]}' step (its steps: {', '.join(names)}); "
            f"list the steps in order with --set steps=[...], or write a preset file"
        )
    index = names.index(keys[0])
    entry = _checked(StepEntry, _merged(settings["steps"][index], _nest(keys, value)), source)
    return {**settings, "steps": [*settings["steps"][:index], entry, *settings["steps"][index + 1 :]]}


def _reordered(current: list[dict[str, Any]], given: Any) -> Any:
    """``--set steps=[...]``: each step the preset lists keeps its settings (given ones merged over them)."""
    if not isinstance(given, list):
        return given  # the model says what a list of steps looks like
    kept = dict(zip(step_names(current), (next(iter(entry.values())) for entry in current), strict=True))
    steps = []
    for item in given:
        if isinstance(item, str) and item in kept:
            item = {item: kept[item]}
        elif isinstance(item, dict) and len(item) == 1:
            [(name, own)] = item.items()
            if name in kept and (own is None or isinstance(own, dict)):
                item = {name: _merged(kept[name], own or {})}
        steps.append(item)
    return steps
