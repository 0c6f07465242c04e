"""The ``check`` stage of ``riftlab run``: every suite whose table is built."""

from __future__ import annotations

from warehouse.checks.checker import ChecksFailed, run_checks
from warehouse.checks.suites import load_suites
from warehouse.errors import StageSkipped
from warehouse.project import Project


def run_stage(project: Project, console) -> str:
    if not load_suites(project.transforms_dir, project.root):
        raise StageSkipped(f"no expectation suites in {project.transforms_dir / 'expectations'}")
    if not project.db_path.exists():
        raise StageSkipped(f"no warehouse at {project.db_path} yet")
    run = run_checks(project, skip_missing=True, console=console)
    if not run.outcomes:
        raise StageSkipped("none of the tables with a suite is built yet")
    if run.failures:
        raise ChecksFailed(run.failure_message(rows=2))
    skipped = f"; not built yet: {', '.join(s.table for s in run.skipped)}" if run.skipped else ""
    docs = f"; Data Docs {run.docs_index}" if run.docs_index else ""
    return f"{len(run.outcomes)} expectations on {len(run.tables)} tables passed{skipped}{docs}"
