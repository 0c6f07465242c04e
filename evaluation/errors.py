"""Errors of the evaluation package: one line naming the culprit and the fix."""

from warehouse.errors import RiftlabError


class EvaluationError(RiftlabError):
    """A task definition, a model reference or the warehouse data cannot be evaluated."""
