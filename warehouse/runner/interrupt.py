"""Ctrl-C during ``riftlab build``: stop cleanly instead of wherever the signal lands.

Python's default SIGINT handler raises KeyboardInterrupt wherever Python is; inside a
DuckDB query that surfaces as a bare ``RuntimeError('Query interrupted')``, or not at
all.  While a build runs, :class:`InterruptGuard` records the request, interrupts the
running query (DuckDB then fails it, and the node's transaction rolls back) and raises
KeyboardInterrupt for Python code in flight; the build turns whatever surfaced into
one line (:class:`BuildInterrupted`).
"""

from __future__ import annotations

import signal
import threading

import duckdb

from warehouse.errors import RiftlabError


class BuildInterrupted(RiftlabError):
    """The user pressed Ctrl-C during a build; nodes not yet built keep their previous versions."""

    exit_code = 130  # as a shell reports a process stopped by SIGINT


class InterruptGuard:
    """A context manager: SIGINT sets ``requested``, interrupts ``con``'s running query and raises.

    Only the first Ctrl-C raises, so later ones cannot break the rollback and log that follow.
    Only the main thread can own signal handlers; elsewhere the guard does nothing.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self._previous = None
        self.requested = False

    def _handle(self, signum, frame) -> None:
        self._con.interrupt()
        if not self.requested:
            self.requested = True
            raise KeyboardInterrupt

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
