"""Errors riftlab reports to a person as one clear line (no traceback).

Every error a user can cause (bad config, bad SQL, a locked warehouse, bad
input data) derives from :class:`RiftlabError`; the CLI prints its message and
exits non-zero.  Anything else is a bug and keeps its traceback.
"""

import difflib


def closest(word: object, choices: list, cutoff: float = 0.6) -> str | None:
    """The choice nearest ``word`` (case-insensitive), or None when none is close."""
    by_folded = {str(choice).lower(): str(choice) for choice in choices}
    close = difflib.get_close_matches(str(word).lower(), list(by_folded), n=1, cutoff=cutoff)
    return by_folded[close[0]] if close else None


def did_you_mean(word: object, choices: list, cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the choice nearest ``word``, or '' when none is close."""
    close = closest(word, choices, cutoff)
    return f" (did you mean '{close}'?)" if close else ""


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
