"""The steps an ``embed`` preset composes, one a module, and :data:`StepEntry`, one item of its ``steps``.

A preset lists its steps in the order they run, each bare or with its settings::

    steps:
      - invert: {corpus_split: all}
      - head: {steps: 300}

``--set STEP.KEY=VALUE`` sets one step's setting (``--set head.steps=100``); ``--set steps=[...]``
gives the order, each step named keeping the preset's settings for it (:mod:`training.presets`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, create_model, model_serializer, model_validator

from training.steps.adapter import Adapter
from training.steps.base import Step
from training.steps.head import Head
from training.steps.invert import Invert
from training.steps.label_probabilities import LabelProbabilitiesStep
from training.steps.llm2vec import Llm2Vec
from training.steps.merge import Merge
from training.steps.name_vectors import NameVectorsStep
from training.steps.simcse import SimCSE
from training.steps.text_triplets import TextTriplets
from training.steps.triplets import Triplets
from training.steps.vocabulary import Vocabulary
from warehouse.config import Settings, refusal
from warehouse.errors import did_you_mean

__all__ = ["STEPS", "Step", "StepEntry", "step_names"]

#: every step by name, in the order a preset would usually list them
STEPS: dict[str, type[Step]] = {
    cls.name: cls
    for cls in (
        Llm2Vec,
        Adapter,
        SimCSE,
        Vocabulary,
        Invert,
        Triplets,
        Head,
        NameVectorsStep,
        LabelProbabilitiesStep,
        Merge,
        TextTriplets,
    )
}


class _OneStep(Settings):
    """An item of ``steps``: a step's name, or a mapping of its name to its settings."""

    # the steps an item does not name stay None (unvalidated), so errors and the schema show each step as the
    # mapping it is, not as "a mapping or null"
    model_config = ConfigDict(**{**Settings.model_config, "validate_default": False})

    @model_validator(mode="before")
    @classmethod
    def _named_step(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {data: {}}
        if not isinstance(data, dict):
            return data  # the model says it must be a mapping
        if len(data) != 1:
            raise refusal("one step: its name, or its name mapped to its settings", data)
        [(name, settings)] = data.items()
        if name not in STEPS:
            raise refusal(f"a step: one of {', '.join(STEPS)}{did_you_mean(name, list(STEPS))}", name)
        return {name: {} if settings is None else settings}

    @model_serializer(mode="wrap")
    def _only_the_step(self, handler) -> dict[str, Any]:
        return {name: settings for name, settings in handler(self).items() if settings is not None}

    @property
    def step(self) -> Step:
        """The step this item names, with its settings."""
        return next(value for name in STEPS if (value := getattr(self, name)) is not None)


StepEntry = create_model(
    "StepEntry",
    __base__=_OneStep,
    __doc__=_OneStep.__doc__,
    **{name: (cls, None) for name, cls in STEPS.items()},  # type: ignore[call-overload]
)


def step_names(entries: list[dict[str, Any]]) -> list[str]:
    """The step names of a checked ``steps`` list (each item a one-key mapping)."""
    return [next(iter(entry)) for entry in entries]
