"""``meta.training_runs``: every run is a row, written before training starts and closed after.

Connections are opened only for the moment of a write, so a long run does not hold the warehouse
lock.  A run ends ``finished`` (its checkpoint renamed into place) or ``failed``.  Two ends need
help: a killed process cannot close its row, so its partial folder names the owning process
(:data:`OWNER_FILE`) and :func:`reap_abandoned` closes dead ones; and a run ending while another
process holds the write lock leaves its end in :data:`PENDING_CLOSE_FILE` for
:func:`close_pending` (``riftlab runs``, ``train`` and ``promote`` call both).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.db import utcnow
from warehouse.errors import WarehouseError, WarehouseLocked
from warehouse.project import Project

#: written into a run's partial folder while it trains: which process owns the run
OWNER_FILE = "riftlab_owner.json"
#: how a run ended, kept beside its outcome (the checkpoint, or a failed run's partial folder) until its row is closed
PENDING_CLOSE_FILE = "riftlab_close_pending.json"
#: pause between tries to open a locked warehouse
RETRY_SECONDS = 0.5


@dataclass
class RunRecord:
    run_id: str
    stage: str
    preset: str
    base_model: str | None
    config: dict[str, Any]
    corpus_snapshot_id: str
    data_rows: dict[str, int]
    output_path: Path
    git_commit: str | None
    started_at: datetime


def new_run_id(stage: str) -> str:
    return f"{stage}-{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def git_commit(root: Path) -> str | None:
    """HEAD of the repository holding ``root`` (suffix ``+dirty`` when files differ), or None."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def start(project: Project, record: RunRecord) -> None:
    con = project.connect()
    try:
        con.execute(
            "INSERT INTO meta.training_runs (run_id, stage, preset, base_model, config, git_commit, "
            "corpus_snapshot_id, data_rows, started_at, status, output_path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            [
                record.run_id,
                record.stage,
                record.preset,
                record.base_model,
                _json(record.config),
                record.git_commit,
                record.corpus_snapshot_id,
                _json(record.data_rows),
                record.started_at,
                str(record.output_path),
            ],
        )
    finally:
        con.close()


def close_wait(project: Project) -> float:
    """Seconds closing a run waits for a locked warehouse."""
    return float(project.config["training"]["close_wait_seconds"])


def connect_waiting(project: Project, wait: float, say=None):
    """A write connection, retried for up to ``wait`` seconds while another process holds the lock.

    ``say`` is told once, with the reason, when the first try fails.  The last failure is raised.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return project.connect()
        except WarehouseLocked as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            if say is not None:
                say(f"{exc} Waiting up to {wait:.0f}s to record the run's end.")
                say = None
            time.sleep(min(RETRY_SECONDS, left))


def close(
    project: Project,
    run_id: str,
    status: str,
    metrics: dict[str, Any] | None = None,
    error: str | None = None,
    finished_at: datetime | None = None,
    wait: float = 0.0,
    say=None,
) -> None:
    """Set the run's final ``status``; a locked warehouse is waited for up to ``wait`` seconds."""
    con = connect_waiting(project, wait, say)
    try:
        con.execute(
            "UPDATE meta.training_runs SET status = ?, finished_at = ?, metrics = ?, error = ? WHERE run_id = ?",
            [status, finished_at or utcnow(), _json(metrics or {}), error, run_id],
        )
    finally:
        con.close()


def write_pending(
    folder: Path, run_id: str, status: str, metrics: dict[str, Any] | None = None, error: str | None = None
) -> Path:
    """Record in ``folder`` how the run ended, for :func:`close_pending` should its row not get closed."""
    pending = folder / PENDING_CLOSE_FILE
    content = {
        "run_id": run_id,
        "status": status,
        "finished_at": utcnow().isoformat(),
        "metrics": metrics or {},
        "error": error,
    }
    pending.write_text(_json(content), encoding="utf-8")
    return pending


def settle(project: Project, run_id: str, pending: Path, say) -> bool:
    """Close the run as ``pending`` records, waiting for a locked warehouse; then remove ``pending``.

    When the warehouse stays locked, ``say`` is told that the row stays ``running`` until the
    next command closes it from ``pending``, and False is returned.
    """
    ending = json.loads(pending.read_text(encoding="utf-8"))
    try:
        close(project, run_id, ending["status"], ending["metrics"], ending["error"], wait=close_wait(project), say=say)
    except WarehouseError as exc:
        say(
            f"run {run_id} {ending['status']}, but meta.training_runs still says 'running': {exc} "
            f"The next `riftlab runs`, `riftlab train` or `riftlab promote` closes it from {pending}."
        )
        return False
    pending.unlink()
    return True


def _recorded_end(row: dict[str, Any], output_root: Path) -> tuple[Path, dict[str, Any]] | None:
    """A ``running`` row's :data:`PENDING_CLOSE_FILE` and its content, if the run recorded its end.

    A finished run's record is in its checkpoint (written before the rename, so it never
    describes a checkpoint that is not in place); a failed run's is in its partial folder.
    """
    places = [(output_root / f".{row['run_id']}.partial" / PENDING_CLOSE_FILE, "failed")]
    if row["output_path"]:
        places.insert(0, (Path(row["output_path"]) / PENDING_CLOSE_FILE, "finished"))
    for pending, status in places:
        try:
            ending = json.loads(pending.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if ending.get("run_id") == row["run_id"] and ending.get("status") == status:
            return pending, ending
    return None


def close_pending(project: Project, output_root: Path) -> list[str]:
    """Close every ``running`` run whose end is recorded (:func:`write_pending`) as recorded; returns their ids."""
    closed = []
    for row in _query_runs(project, "SELECT run_id, output_path FROM meta.training_runs WHERE status = 'running'"):
        found = _recorded_end(row, output_root)
        if found is None:
            continue
        pending, ending = found
        close(
            project,
            row["run_id"],
            ending["status"],
            ending.get("metrics"),
            ending.get("error"),
            finished_at=datetime.fromisoformat(ending["finished_at"]),
        )
        if ending["status"] == "failed":
            shutil.rmtree(pending.parent, ignore_errors=True)  # the partial folder held nothing else
        else:
            pending.unlink(missing_ok=True)
        closed.append(row["run_id"])
    return closed


def _query_runs(project: Project, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """Rows of a query on meta.training_runs as dicts; none when the warehouse or the table does not exist yet."""
    from warehouse.db import table_exists

    if not project.db_path.exists():
        return []
    con = project.connect(read_only=True)
    try:
        if not table_exists(con, "meta", "training_runs"):
            return []
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def list_runs(project: Project, stage: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    where = "WHERE stage = ?" if stage else ""
    rows = _query_runs(
        project,
        f"SELECT run_id, stage, preset, base_model, corpus_snapshot_id, started_at, finished_at, status, metrics, "
        f"error, output_path FROM meta.training_runs {where} ORDER BY started_at DESC LIMIT {int(limit)}",
        [stage] if stage else [],
    )
    for row in rows:
        row["metrics"] = json.loads(row["metrics"]) if row["metrics"] else {}
    return rows


def write_owner(workdir: Path, run_id: str) -> None:
    """Record this process as the owner of the run training in ``workdir``."""
    import psutil

    me = psutil.Process()
    owner = {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(), "process_started": me.create_time()}
    (workdir / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


def _owner_alive(owner: dict[str, Any]) -> bool:
    """Whether the process named by ``owner`` still runs (a reused pid with a later start time does not count)."""
    import psutil

    try:
        process = psutil.Process(int(owner["pid"]))
        return abs(process.create_time() - float(owner["process_started"])) < 1.0
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except (psutil.AccessDenied, KeyError, TypeError, ValueError):
        return True  # cannot tell: leave the run alone


def reap_abandoned(project: Project, output_root: Path) -> list[str]:
    """Close as ``failed`` every ``running`` run whose owning process on this host is gone.

    Runs owned by another host, or whose partial folder holds no owner file, are left alone:
    nothing here can prove they are dead.  Returns the run ids closed.
    """
    running = [
        row["run_id"] for row in _query_runs(project, "SELECT run_id FROM meta.training_runs WHERE status = 'running'")
    ]
    host = socket.gethostname()
    reaped = []
    for run_id in running:
        workdir = output_root / f".{run_id}.partial"
        try:
            owner = json.loads((workdir / OWNER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if owner.get("host") != host or _owner_alive(owner):
            continue
        shutil.rmtree(workdir, ignore_errors=True)
        close(
            project,
            run_id,
            "failed",
            error=f"abandoned: process {owner.get('pid')} on {host} ended without closing the run "
            "(killed by a signal or the out-of-memory killer); its partial checkpoint was removed",
        )
        reaped.append(run_id)
    return reaped
