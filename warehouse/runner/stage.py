"""The ``build`` stage of ``riftlab run``."""

from __future__ import annotations

from warehouse.errors import RiftlabError
from warehouse.project import Project
from warehouse.runner.build import NodeResult, build
from warehouse.runner.commands import summarize


def run_stage(project: Project, console) -> str:
    def show(index: int, total: int, result: NodeResult) -> None:
        style = {"success": "green", "error": "red", "skipped": "yellow"}[result.status]
        rows = f"{result.rows} rows" if result.rows is not None else result.error or ""
        console.print(f"  [{style}]{result.status:<7}[/] {result.name} ({rows}, {result.seconds:.2f}s)")

    results = build(project, on_result=show)
    summary = summarize(results)
    failed = [r for r in results if r.status == "error"]
    if failed:
        raise RiftlabError(f"{summary}; first failure: {failed[0].name}: {failed[0].error.splitlines()[0]}")
    return summary
