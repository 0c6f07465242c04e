"""sentence-transformers modules riftlab saves in its checkpoints (listed in :mod:`training.trust`)."""

from training.modules.label_probabilities import LabelProbabilities

__all__ = ["LabelProbabilities"]
