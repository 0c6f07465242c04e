"""Errors of the augmentation stage, each one line for a person (see warehouse.errors)."""

from warehouse.errors import RiftlabError


class AugmentError(RiftlabError):
    """Augmentation cannot run: no API key, an unknown task or model, missing inputs."""


class BadReply(AugmentError):
    """The API answered with something that is not its JSON (a proxy's HTML error page, a wrong base URL)."""


class BudgetExceeded(RiftlabError):
    """The next request would take the run past ``augment.budget_usd``; what was answered is kept."""

    def __init__(self, report, message: str):
        super().__init__(message)
        self.report = report  # the stopped task's TaskReport (what it did before stopping)


class BatchStillRunning(RiftlabError):
    """A Message Batch has not ended within ``augment.batch_wait_s``; rerun to resume polling it."""

    exit_code = 3


class MalformedAnswer(ValueError):
    """A model answer is not the JSON a task expects (internal: recorded as a failed row, repaired once)."""
