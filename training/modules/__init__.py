"""sentence-transformers modules riftlab saves in its checkpoints (listed in :mod:`training.trust`)."""

from training.modules.label_probabilities import LabelProbabilities
from training.modules.name_vectors import NameVectors

__all__ = ["LabelProbabilities", "NameVectors"]
