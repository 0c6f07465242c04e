"""Errors riftlab reports to a person as one clear line (no traceback).

Every error a user can cause (bad config, bad SQL, a locked warehouse, bad
input data) derives from :class:`RiftlabError`; the CLI prints its message and
exits non-zero.  Anything else is a bug and keeps its traceback.
"""


class RiftlabError(Exception):
    """An error whose message is meant for the user."""

    exit_code = 1


class ConfigError(RiftlabError):
    """riftlab.yaml, a rule file or another declarative file is wrong."""


class WarehouseError(RiftlabError):
    """The warehouse is missing, locked, or lacks a table a command needs."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse's write lock (retrying later can succeed)."""


class ModelError(RiftlabError):
    """A SQL model failed to render, resolve or build."""


class QueryError(RiftlabError):
    """A user's query failed."""


class StageSkipped(RiftlabError):
    """A `riftlab run` stage has nothing to do here (say why, in one line)."""
