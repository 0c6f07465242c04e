"""The ``build`` stage of ``riftlab run``."""

from __future__ import annotations

from riftlab.console import print_node, summarize_build
from warehouse.errors import RiftlabError
from warehouse.project import Project
from warehouse.runner.build import build


def run_stage(project: Project, console) -> str:
    results = build(project, on_result=lambda index, total, result: print_node(console, index, total, result))
    summary = summarize_build(results)
    failed = [r for r in results if r.failed]
    if failed:
        raise RiftlabError(f"{summary}; first failure: {failed[0].name}: {failed[0].error.splitlines()[0]}")
    return summary
