"""A run that ends while another process holds the warehouse's write lock (issue 14, row 7).

A real second process opens a DuckDB write connection as soon as the run has started
(its row is written) and holds it while the run ends.  Closing the run waits for the lock;
when the lock outlasts the wait, the run's end stays on disk and the next command closes
its row; `riftlab promote` never takes a run whose row is not 'finished'.
"""

from __future__ import annotations

import _thread
import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from rich.console import Console

from training.registry import PENDING_CLOSE_FILE

# a run that loads, checks and saves MiniLM
FAST = ["triplets.epochs=0", "max_seq_length=32", "max_validation_triplets=16"]

HOLDER = """
import sys, time
from pathlib import Path

import duckdb

db, runs, held, release, hold_seconds = sys.argv[1:]
deadline = time.monotonic() + 120
while not list(Path(runs).glob(".*.partial/riftlab_owner.json")):  # the run has started: its row is written
    if time.monotonic() > deadline:
        sys.exit("the run never started")
    time.sleep(0.005)
while True:
    try:
        con = duckdb.connect(db)
        break
    except duckdb.IOException:
        time.sleep(0.02)
Path(held).write_text("held")
# until the checkpoint is in place
while not list(Path(runs).glob("*/riftlab_run.json")) and not Path(release).exists():
    time.sleep(0.02)
until = time.monotonic() + float(hold_seconds)
while time.monotonic() < until and not Path(release).exists():
    time.sleep(0.05)
con.close()
"""


class LockHolder:
    """A second process holding the warehouse's write lock from a run's start to ``hold_seconds`` after its
    checkpoint lands."""

    def __init__(self, project, folder: Path, hold_seconds: float):
        self.held, self.release = folder / "held", folder / "release"
        runs = project.root / project.config["training"]["output_dir"]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLDER,
                str(project.db_path),
                str(runs),
                str(self.held),
                str(self.release),
                str(hold_seconds),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        self.release.write_text("go")
        _, stderr = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, stderr


def run_training(project, console_out: io.StringIO, *args, **kwargs):
    from training.runner import train

    return train(project, *args, console=Console(file=console_out, width=400), **kwargs)


def rows(project) -> dict[str, tuple]:
    con = duckdb.connect(str(project.db_path), read_only=True)
    try:
        found = con.execute("SELECT run_id, status, metrics, error FROM meta.training_runs").fetchall()
    finally:
        con.close()
    return {row[0]: row[1:] for row in found}


def test_a_run_ending_under_a_lock_that_outlasts_the_wait_is_closed_by_promote(project, tmp_path: Path):
    from riftlab.commands.evaluate import promote

    project.config["training"]["close_wait_seconds"] = 1.0
    out = io.StringIO()
    holder = LockHolder(project, tmp_path, hold_seconds=120)
    try:
        started = time.monotonic()
        result = run_training(project, out, "embed", "embed_plain", overrides=FAST)
        assert holder.held.exists(), "the second process never took the lock"
    finally:
        holder.stop()
    assert time.monotonic() - started >= 1.0  # it waited before giving up
    assert "Waiting up to 1s" in out.getvalue() and "still says 'running'" in out.getvalue(), out.getvalue()
    pending = result.output_path / PENDING_CLOSE_FILE
    assert pending.is_file() and (result.output_path / "model.safetensors").is_file()
    assert rows(project)[result.run_id][0] == "running"

    con = project.connect()
    try:  # an evaluation of the finished checkpoint
        con.execute(
            "INSERT INTO meta.eval_results VALUES "
            "(?, ?, 'ChampionSubclassClustering', 'heldout', 'v_measure', 0.5, TRUE, now(), 'snap')",
            [result.run_id, result.run_id],
        )
    finally:
        con.close()
    promoted = CliRunner().invoke(promote, ["--project-dir", str(project.root)], catch_exceptions=False)
    assert promoted.exit_code == 0, promoted.output
    assert f"{result.run_id}: ended while the warehouse was locked; its row is now closed" in promoted.stderr
    assert f"{result.run_id} promoted" in promoted.stdout
    status, metrics, error = rows(project)[result.run_id]
    assert status == "finished" and error is None and json.loads(metrics) == json.loads(json.dumps(result.metrics))
    assert not pending.exists()


def test_a_run_ending_under_a_lock_released_within_the_wait_closes_itself(project, tmp_path: Path):
    out = io.StringIO()
    holder = LockHolder(project, tmp_path, hold_seconds=2)
    try:
        result = run_training(project, out, "embed", "embed_plain", overrides=FAST)
        assert holder.held.exists(), "the second process never took the lock"
    finally:
        holder.stop()
    assert "Waiting up to" in out.getvalue(), out.getvalue()
    assert rows(project)[result.run_id][0] == "finished"
    assert not (result.output_path / PENDING_CLOSE_FILE).exists()


def test_a_run_interrupted_under_a_held_lock_is_closed_as_failed_by_runs(project, tmp_path: Path):
    """Ctrl-C once the second process holds the lock: the failed run's end waits in its partial folder for
    `riftlab runs`."""
    from riftlab.commands.train import runs

    project.config["training"]["close_wait_seconds"] = 0.5
    out = io.StringIO()
    holder = LockHolder(project, tmp_path, hold_seconds=120)
    trained = threading.Event()

    def interrupt_once_held() -> None:
        deadline = time.monotonic() + 120
        while not holder.held.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not trained.is_set():
            _thread.interrupt_main()  # as Ctrl-C would, in the middle of training

    threading.Thread(target=interrupt_once_held, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                run_training(
                    project,
                    out,
                    "embed",
                    "embed_plain",
                    overrides=["triplets.epochs=50", "triplets.batch_size=8", "max_seq_length=32"],
                )
            finally:
                trained.set()
    finally:
        holder.stop()
    [(run_id, (status, _, _))] = rows(project).items()
    assert status == "running" and "still says 'running'" in out.getvalue(), out.getvalue()

    listed = CliRunner().invoke(runs, ["--project-dir", str(project.root), "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["run_id"], row["status"], row["error"]) == (run_id, "failed", "interrupted")
    assert not list((project.root / "runs").glob(".*.partial"))
