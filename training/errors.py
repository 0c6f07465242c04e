"""Errors a person can cause when training: bad presets, bad data, bad base models.

Each message names the culprit and the fix in one line (see :mod:`warehouse.errors`).
"""

from warehouse.errors import RiftlabError


class TrainingError(RiftlabError):
    """A training run cannot start or could not finish."""


class PresetError(TrainingError):
    """A preset file or a --set override is wrong (unknown key, wrong type)."""


class TrainingDataError(TrainingError):
    """The warehouse rows a stage reads are missing or inconsistent."""


class BaseModelError(TrainingError):
    """The base model does not exist or is the wrong kind of model for the stage."""


class UntrustedModelError(RiftlabError):
    """A model folder ships code or names a module class riftlab does not ship; nothing in it was run."""
